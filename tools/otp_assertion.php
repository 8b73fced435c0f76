<?php
/*
 * Check an otp_assertion on a PHP site (no extensions beyond PHP's core; sodium, bundled with
 * PHP since 7.2, for EdDSA).
 *
 *   // ASSERTION_FORMAT=jwt: SIGNING_KEY (HS256), or the JWK Set (EdDSA, otp-admin jwks)
 *   $jwks = json_decode(file_get_contents('/var/lib/site/otp-jwks.json'), true);
 *   $phone = otp_jwt_verify($_GET['otp_assertion'] ?? '', $jwks, 'https://otp.example.com',
 *                           'https://example.com', 300, '/var/lib/site/otp-seen.txt',
 *                           $_SESSION['otp_return_to']);
 *   // v1
 *   $phone = otp_assertion_verify($_GET['otp_assertion'] ?? '', SIGNING_KEY, 300,
 *                                 '/var/lib/site/otp-seen.txt');
 *   $sig = otp_phone_sig(SIGNING_KEY, '+12025550143');  // request.cgi?phone=...&phone_sig=...
 *
 * A v1 assertion is v1.<base64url(payload)>.<base64url(HMAC-SHA256(key, "v1." payload64))>,
 * payload {"phone": E.164, "verified_at": Unix seconds, "vid": 32 hex[, "return_to": ...]}.
 * A JWT is a compact JWS whose header's alg must be the one of the key given (HS256 for a
 * string, EdDSA with a kid of the set for a JWK Set: never "none", never the token's choice),
 * with claims iss, aud, iat, exp, jti (32 hex), phone_number, phone_number_verified.
 * Both functions return the phone, or throw UnexpectedValueException: bad format or
 * signature, wrong iss or aud, too old or from the future, already used (its vid or jti is
 * kept in the file $seen, under flock), or, when you pass $return_to (the one you sent the
 * visitor in with, holding a state of their session), made for another return_to.  If you
 * fixed the number with phone_sig, compare it too.
 *
 *   php otp_assertion.php KEY ASSERTION [SEEN_FILE [MAX_AGE]]   prints the phone, or exits 1
 *   php otp_assertion.php jwt KEY|JWKS_FILE ISSUER AUDIENCE TOKEN [SEEN_FILE [MAX_AGE]]
 *   php otp_assertion.php sign-phone KEY PHONE                  prints the phone_sig
 */

const OTP_JWT_MAX = 3072;  // the longest token the programs make or read (ASSERTION_MAX)
const OTP_JWT_SKEW = 60;   // seconds an iat may be ahead of this clock

function otp_phone_sig(string $key, string $phone): string
{
    return hash_hmac('sha256', $phone, $key);
}

function otp_assertion_verify(string $assertion, string $key, int $max_age = 300, ?string $seen = null,
                              ?string $return_to = null): string
{
    $part = explode('.', $assertion);
    if (count($part) !== 3 || $part[0] !== 'v1')
        throw new UnexpectedValueException('malformed or unknown version');
    $mac = rtrim(strtr(base64_encode(hash_hmac('sha256', "v1.$part[1]", $key, true)), '+/', '-_'), '=');
    if (!hash_equals($mac, $part[2]))
        throw new UnexpectedValueException('bad signature');
    $p = json_decode((string)base64_decode(strtr($part[1], '-_', '+/')), true);
    $phone = $p['phone'] ?? null; $at = $p['verified_at'] ?? null; $vid = $p['vid'] ?? null;
    if (!is_string($phone) || !preg_match('/^\+[1-9][0-9]{7,14}$/D', $phone) || !is_int($at)
        || !is_string($vid) || !preg_match('/^[0-9a-f]{32}$/D', $vid))
        throw new UnexpectedValueException('malformed payload');
    if ($return_to !== null && ($p['return_to'] ?? null) !== $return_to)
        throw new UnexpectedValueException('made for another return_to');
    $now = time();
    if ($at > $now + 60 || $now - $at > $max_age)
        throw new UnexpectedValueException('expired');
    if ($seen !== null)
        otp_seen_once($seen, $vid, $at, $max_age);
    return $phone;
}

// Each assertion is good once: remember its id ("id at" lines in $seen, under flock).
function otp_seen_once(string $seen, string $id, int $at, int $max_age): void
{
    $now = time();
    $f = fopen($seen, 'c+');
    if ($f === false || !flock($f, LOCK_EX))
        throw new RuntimeException("cannot open $seen");
    $keep = ''; $used = false;
    while (($line = fgets($f)) !== false) {
        [$v, $t] = explode(' ', trim($line)) + [1 => 0];
        $used = $used || $v === $id;
        if ((int)$t >= $now - max($max_age, 86400))  // older ones are expired anyway
            $keep .= "$v $t\n";
    }
    if (!$used) {
        ftruncate($f, 0); rewind($f);
        fwrite($f, "$keep$id $at\n"); fflush($f);
    }
    flock($f, LOCK_UN); fclose($f);
    if ($used)
        throw new UnexpectedValueException('already used');
}

function otp_b64u_decode(string $s): string
{
    $d = preg_match('/^[A-Za-z0-9_-]*$/D', $s) ? base64_decode(strtr($s, '-_', '+/'), true) : false;
    if ($d === false || rtrim(strtr(base64_encode($d), '+/', '-_'), '=') !== $s)
        throw new UnexpectedValueException('malformed');  // only the one spelling of the bytes
    return $d;
}

function otp_jwt_verify(string $token, $key, string $issuer, string $audience, int $max_age = 300,
                        ?string $seen = null, ?string $return_to = null): string
{
    if (strlen($token) > OTP_JWT_MAX)
        throw new UnexpectedValueException('too large');
    $part = explode('.', $token);
    if (count($part) !== 3)
        throw new UnexpectedValueException('malformed');
    $h = json_decode(otp_b64u_decode($part[0]), true);
    if (!is_array($h) || !is_string($h['alg'] ?? null))
        throw new UnexpectedValueException('malformed header');
    if (isset($h['crit']))
        throw new UnexpectedValueException('unsupported crit header');
    if ($h['alg'] === 'none')
        throw new UnexpectedValueException('unsigned (alg none)');
    $signed = "$part[0].$part[1]";
    $sig = otp_b64u_decode($part[2]);
    if (is_string($key)) {  // SIGNING_KEY: HS256 and nothing else
        if ($h['alg'] !== 'HS256')
            throw new UnexpectedValueException('algorithm not accepted');
        $ok = hash_equals(hash_hmac('sha256', $signed, $key, true), $sig);
    } else {                // a JWK Set: EdDSA, the key its kid names
        if ($h['alg'] !== 'EdDSA')
            throw new UnexpectedValueException('algorithm not accepted');
        $pub = null;
        foreach ($key['keys'] ?? [] as $k)
            if (($k['kty'] ?? '') === 'OKP' && ($k['crv'] ?? '') === 'Ed25519'
                && is_string($k['kid'] ?? null) && $k['kid'] === ($h['kid'] ?? null))
                $pub = otp_b64u_decode((string)($k['x'] ?? ''));
        if ($pub === null || strlen($pub) !== SODIUM_CRYPTO_SIGN_PUBLICKEYBYTES)
            throw new UnexpectedValueException('unknown kid');
        $ok = strlen($sig) === SODIUM_CRYPTO_SIGN_BYTES
              && sodium_crypto_sign_verify_detached($sig, $signed, $pub);
    }
    if (!$ok)
        throw new UnexpectedValueException('bad signature');
    $p = json_decode(otp_b64u_decode($part[1]), true);
    $phone = $p['phone_number'] ?? null; $iat = $p['iat'] ?? null; $exp = $p['exp'] ?? null;
    $jti = $p['jti'] ?? null; $aud = $p['aud'] ?? null;
    if (!is_string($phone) || !preg_match('/^\+[1-9][0-9]{7,14}$/D', $phone) || !is_int($iat)
        || !is_int($exp) || !is_string($jti) || !preg_match('/^[0-9a-f]{32}$/D', $jti)
        || ($p['phone_number_verified'] ?? null) !== true)
        throw new UnexpectedValueException('malformed payload');
    if (($p['iss'] ?? null) !== $issuer)
        throw new UnexpectedValueException('wrong issuer');
    if (!($aud === $audience || (is_array($aud) && in_array($audience, $aud, true))))
        throw new UnexpectedValueException('wrong audience');
    if ($return_to !== null && ($p['return_to'] ?? null) !== $return_to)
        throw new UnexpectedValueException('made for another return_to');
    $now = time();
    if ($iat > $now + OTP_JWT_SKEW)
        throw new UnexpectedValueException('from the future');
    if ($now >= $exp || $now - $iat > $max_age)
        throw new UnexpectedValueException('expired');
    if ($seen !== null)
        otp_seen_once($seen, $jti, $iat, $max_age);
    return $phone;
}

if (PHP_SAPI === 'cli' && realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    $a = array_slice($argv, 1);
    try {
        if (count($a) === 3 && $a[0] === 'sign-phone')
            echo otp_phone_sig($a[1], $a[2]), "\n";
        elseif (count($a) >= 5 && count($a) <= 7 && $a[0] === 'jwt') {
            $key = is_file($a[1]) ? json_decode((string)file_get_contents($a[1]), true) : $a[1];
            echo otp_jwt_verify($a[4], is_array($key) ? $key : $a[1], $a[2], $a[3],
                                (int)($a[6] ?? 300), $a[5] ?? null), "\n";
        }
        elseif (count($a) >= 2 && count($a) <= 4)
            echo otp_assertion_verify($a[1], $a[0], (int)($a[3] ?? 300), $a[2] ?? null), "\n";
        else {
            fwrite(STDERR, "usage: php otp_assertion.php KEY ASSERTION [SEEN_FILE [MAX_AGE]]\n"
                         . "       php otp_assertion.php jwt KEY|JWKS_FILE ISSUER AUDIENCE TOKEN"
                         . " [SEEN_FILE [MAX_AGE]]\n"
                         . "       php otp_assertion.php sign-phone KEY PHONE\n");
            exit(2);
        }
    } catch (Exception $e) {
        fwrite(STDERR, 'rejected: ' . $e->getMessage() . "\n");
        exit(1);
    }
}
