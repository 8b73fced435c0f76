"""Certificates for the fake Telnyx's TLS mode, made by the tests
(Python's cryptography package, Debian's python3-cryptography).

    certs = Certs(directory)          # every file in directory
    certs.ca                          # the CA bundle to trust (CA_FILE)
    certs.pair('good')                # (certificate file, key file) for the fake

The pairs: 'good' (signed by the CA, for 127.0.0.1 as an IP address and
localhost), and the bad ones: 'self_signed' (the same names, signed by its
own key), 'expired' (signed by the CA, ended yesterday), 'wrong_host'
(signed by the CA, for wrong.example only), 'unknown_ca' (the right names,
signed by another CA nobody trusts).  EC P-256 keys: made in milliseconds.
The caller removes the directory.
"""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)
PAIRS = ('good', 'self_signed', 'expired', 'wrong_host', 'unknown_ca')


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'otp tests')])


def _ca(cn):
    """A CA: (certificate, key)."""
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - DAY).not_valid_after(now + 30 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _server(names, issuer=None, not_after=None):
    """A server certificate for names (host names, or IP addresses as
    ipaddress objects), signed by issuer (certificate, key) or by itself:
    (certificate, key)."""
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = _name(str(names[0]))
    issuer_name, signer = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    sans = [x509.IPAddress(n) if not isinstance(n, str) else x509.DNSName(n) for n in names]
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(issuer_name)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .add_extension(x509.SubjectAlternativeName(sans), critical=False)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                        critical=False)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if not_after is not None:
        b = b.not_valid_before(not_after - 30 * DAY).not_valid_after(not_after)
    else:
        b = b.not_valid_before(now - DAY).not_valid_after(now + 30 * DAY)
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer[1].public_key()), critical=False)
    return b.sign(signer, hashes.SHA256()), key


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class Certs:
    """The CA and the server pairs, written to directory (which must exist)."""

    def __init__(self, directory):
        self.dir = str(directory)
        ca = _ca('otp tests CA')
        other = _ca('otp tests other CA')
        here = [ipaddress.ip_address('127.0.0.1'), 'localhost']
        now = datetime.datetime.now(datetime.timezone.utc)
        made = {
            'good': _server(here, ca),
            'self_signed': _server(here),
            'expired': _server(here, ca, not_after=now - DAY),
            'wrong_host': _server(['wrong.example'], ca),
            'unknown_ca': _server(here, other),
        }
        self.ca = self._write('ca.pem', _pem(ca[0]))
        self.other_ca = self._write('other-ca.pem', _pem(other[0]))
        self._pairs = {}
        for name, (cert, key) in made.items():
            chain = _pem(cert)
            self._pairs[name] = (
                self._write(name + '.pem', chain),
                self._write(name + '.key', key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption())))

    def _write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def pair(self, name):
        """(certificate file, key file) of pair name (PAIRS)."""
        return self._pairs[name]
