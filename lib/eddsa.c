/*
 * Ed25519 keys and signatures through libcrypto's EVP_PKEY, loaded from
 * the shared libcrypto with dlopen() when first needed, not linked: the
 * programs link the static libcrypto, and its EVP_PKEY machinery (the
 * provider's key management, the PEM decoders) is megabytes that every
 * start of verify.cgi would pay for in page faults (README, "Speed"; the
 * linkage suite checks verify.cgi and request.cgi carry none of it).
 * Only an approved verification with an Ed25519 key signs, so only it
 * loads the library: once a process (a FastCGI one keeps it).
 *
 * A key file is opened once and checked on its descriptor (no race
 * between the check and the read): a regular file, neither group nor
 * others may read or write it, small.  Its bytes are wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfcn.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "assertion.h"
#include "eddsa.h"
#include "log.h"

#define EDDSA_LIBCRYPTO "libcrypto.so.3" /* the SONAME of OpenSSL 3 */

/* The libcrypto functions this file uses, from eddsa_lib(). */
static struct {
	void *lib;
	__typeof__(BIO_new_mem_buf) *bio_new_mem_buf;
	__typeof__(BIO_free) *bio_free;
	__typeof__(PEM_read_bio_PrivateKey) *pem_read_bio_privatekey;
	__typeof__(PEM_write_PrivateKey) *pem_write_privatekey;
	__typeof__(EVP_PKEY_get_id) *pkey_get_id;
	__typeof__(EVP_PKEY_get_raw_public_key) *pkey_get_raw_public_key;
	__typeof__(EVP_PKEY_new_raw_public_key) *pkey_new_raw_public_key;
	__typeof__(EVP_PKEY_Q_keygen) *pkey_q_keygen;
	__typeof__(EVP_PKEY_free) *pkey_free;
	__typeof__(EVP_MD_CTX_new) *md_ctx_new;
	__typeof__(EVP_MD_CTX_free) *md_ctx_free;
	__typeof__(EVP_DigestSignInit) *digest_sign_init;
	__typeof__(EVP_DigestSign) *digest_sign;
	__typeof__(EVP_DigestVerifyInit) *digest_verify_init;
	__typeof__(EVP_DigestVerify) *digest_verify;
	__typeof__(SHA256) *sha256;
} ossl;

/* Look name up into *fn.  Returns 0 or -1. */
static int
eddsa_sym(void *fn, const char *name)
{
	void *p = dlsym(ossl.lib, name);

	/* POSIX guarantees a function pointer survives this round trip. */
	memcpy(fn, &p, sizeof(p));
	return p == NULL ? -1 : 0;
}

/* Load libcrypto once.  Returns 0, or -1 (logged). */
static int
eddsa_lib(void)
{
	if (ossl.lib != NULL)
		return 0;
	if ((ossl.lib = dlopen(EDDSA_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_msg("cannot load %s: %s", EDDSA_LIBCRYPTO, dlerror());
		return -1;
	}
	if (eddsa_sym(&ossl.bio_new_mem_buf, "BIO_new_mem_buf") < 0 ||
	    eddsa_sym(&ossl.bio_free, "BIO_free") < 0 ||
	    eddsa_sym(&ossl.pem_read_bio_privatekey, "PEM_read_bio_PrivateKey") < 0 ||
	    eddsa_sym(&ossl.pem_write_privatekey, "PEM_write_PrivateKey") < 0 ||
	    eddsa_sym(&ossl.pkey_get_id, "EVP_PKEY_get_id") < 0 ||
	    eddsa_sym(&ossl.pkey_get_raw_public_key, "EVP_PKEY_get_raw_public_key") < 0 ||
	    eddsa_sym(&ossl.pkey_new_raw_public_key, "EVP_PKEY_new_raw_public_key") < 0 ||
	    eddsa_sym(&ossl.pkey_q_keygen, "EVP_PKEY_Q_keygen") < 0 ||
	    eddsa_sym(&ossl.pkey_free, "EVP_PKEY_free") < 0 ||
	    eddsa_sym(&ossl.md_ctx_new, "EVP_MD_CTX_new") < 0 ||
	    eddsa_sym(&ossl.md_ctx_free, "EVP_MD_CTX_free") < 0 ||
	    eddsa_sym(&ossl.digest_sign_init, "EVP_DigestSignInit") < 0 ||
	    eddsa_sym(&ossl.digest_sign, "EVP_DigestSign") < 0 ||
	    eddsa_sym(&ossl.digest_verify_init, "EVP_DigestVerifyInit") < 0 ||
	    eddsa_sym(&ossl.digest_verify, "EVP_DigestVerify") < 0 ||
	    eddsa_sym(&ossl.sha256, "SHA256") < 0) {
		log_msg("%s lacks a function", EDDSA_LIBCRYPTO);
		dlclose(ossl.lib);
		ossl.lib = NULL;
		return -1;
	}
	return 0;
}

int
eddsa_kid(const unsigned char pub[EDDSA_PUB_LEN], char kid[EDDSA_KID_LEN + 1])
{
	char x[64], jwk[128];
	unsigned char d[SHA256_DIGEST_LENGTH];
	int n;

	if (eddsa_lib() < 0 || assertion_b64url(pub, EDDSA_PUB_LEN, x, sizeof(x)) < 0)
		return -1;
	/* RFC 7638: the required members only, in lexical order, no spaces. */
	n = snprintf(jwk, sizeof(jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	if (n < 0 || (size_t)n >= sizeof(jwk) ||
	    ossl.sha256((unsigned char *)jwk, (size_t)n, d) == NULL)
		return -1;
	if (assertion_b64url(d, sizeof(d), x, sizeof(x)) < 0 || strlen(x) != EDDSA_KID_LEN)
		return -1;
	memcpy(kid, x, EDDSA_KID_LEN + 1);
	return 0;
}

/* k's public half and kid from its EVP_PKEY.  0 or -1. */
static int
eddsa_fill(struct eddsa_key *k)
{
	size_t n = EDDSA_PUB_LEN;

	if (ossl.pkey_get_raw_public_key(k->pkey, k->pub, &n) != 1 || n != EDDSA_PUB_LEN)
		return -1;
	return eddsa_kid(k->pub, k->kid);
}

/* The bytes of the key file at path into buf: *len of them.  0, or -1 with why. */
static int
eddsa_read(const char *path, char *buf, size_t size, size_t *len, char *why, size_t wsize)
{
	struct stat st;
	ssize_t n;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(why, wsize, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, wsize, "%s is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, wsize, "%s is open to group or others (mode %04o): chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size <= 0 || (size_t)st.st_size >= size) {
		snprintf(why, wsize, "%s is empty or larger than %zu bytes", path, size - 1);
		goto fail;
	}
	while (*len < (size_t)st.st_size) {
		if ((n = read(fd, buf + *len, (size_t)st.st_size - *len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, wsize, "cannot read %s: %s", path,
				 n < 0 ? strerror(errno) : "shorter than it said");
			goto fail;
		}
		*len += (size_t)n;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int
eddsa_load(const char *path, struct eddsa_key *k, char *why, size_t size)
{
	static char nopass[] = "";
	char buf[EDDSA_FILE_MAX];
	size_t len;
	void *bio;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	if (eddsa_read(path, buf, sizeof(buf), &len, why, size) < 0)
		goto out;
	if (eddsa_lib() < 0) {
		snprintf(why, size, "cannot load %s", EDDSA_LIBCRYPTO);
		goto out;
	}
	if ((bio = ossl.bio_new_mem_buf(buf, (int)len)) == NULL) {
		snprintf(why, size, "out of memory");
		goto out;
	}
	/* No callback, an empty passphrase: an encrypted key is refused, never prompted for. */
	k->pkey = ossl.pem_read_bio_privatekey(bio, NULL, NULL, nopass);
	ossl.bio_free(bio);
	if (k->pkey == NULL)
		snprintf(why, size, "%s holds no PEM private key (unencrypted PKCS #8)", path);
	else if (ossl.pkey_get_id(k->pkey) != EVP_PKEY_ED25519)
		snprintf(why, size, "%s is not an Ed25519 key (otp-admin keygen makes one)", path);
	else if (eddsa_fill(k) < 0)
		snprintf(why, size, "%s: cannot read its public key", path);
	else
		rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		eddsa_free(k);
	return rc;
}

void
eddsa_free(struct eddsa_key *k)
{
	if (k->pkey != NULL)
		ossl.pkey_free(k->pkey); /* wipes the key */
	memset(k, 0, sizeof(*k));
}

int
eddsa_sign(const struct eddsa_key *k, const void *msg, size_t len, unsigned char sig[EDDSA_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t n = EDDSA_SIG_LEN;
	int ok;

	if (k->pkey == NULL || (ctx = ossl.md_ctx_new()) == NULL)
		return -1;
	/* Ed25519 hashes the message itself: no digest (NULL), one shot. */
	ok = ossl.digest_sign_init(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     ossl.digest_sign(ctx, sig, &n, msg, len) == 1 && n == EDDSA_SIG_LEN;
	ossl.md_ctx_free(ctx);
	if (!ok)
		log_msg("cannot sign with the Ed25519 key");
	return ok ? 0 : -1;
}

int
eddsa_verify(const unsigned char pub[EDDSA_PUB_LEN], const void *msg, size_t len,
	     const unsigned char sig[EDDSA_SIG_LEN])
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	int ok = 0;

	if (eddsa_lib() < 0)
		return 0;
	if ((pkey = ossl.pkey_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, EDDSA_PUB_LEN)) !=
		NULL &&
	    (ctx = ossl.md_ctx_new()) != NULL &&
	    ossl.digest_verify_init(ctx, NULL, NULL, NULL, pkey) == 1)
		ok = ossl.digest_verify(ctx, sig, EDDSA_SIG_LEN, msg, len) == 1;
	ossl.md_ctx_free(ctx);
	ossl.pkey_free(pkey);
	return ok;
}

int
eddsa_generate(const char *path, struct eddsa_key *k, char *why, size_t size)
{
	FILE *f = NULL;
	int fd, rc = -1;

	memset(k, 0, sizeof(*k));
	if (eddsa_lib() < 0) {
		snprintf(why, size, "cannot load %s", EDDSA_LIBCRYPTO);
		return -1;
	}
	/* libcrypto's own random generator, seeded from the kernel. */
	if ((k->pkey = ossl.pkey_q_keygen(NULL, NULL, "ED25519")) == NULL || eddsa_fill(k) < 0) {
		snprintf(why, size, "cannot make an Ed25519 key");
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		snprintf(why, size, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		snprintf(why, size, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (ossl.pem_write_privatekey(f, k->pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(why, size, "cannot write %s", path);
		fclose(f);
		unlink(path);
		goto out;
	}
	if (fclose(f) != 0) {
		snprintf(why, size, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		eddsa_free(k);
	return rc;
}
