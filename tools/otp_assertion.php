<?php
/*
 * Check an otp_assertion on a PHP site (no extensions beyond PHP's core).
 *
 *   $phone = otp_assertion_verify($_GET['otp_assertion'] ?? '', SIGNING_KEY, 300,
 *                                 '/var/lib/site/otp-seen.txt');
 *   $sig = otp_phone_sig(SIGNING_KEY, '+12025550143');  // request.cgi?phone=...&phone_sig=...
 *
 * An assertion is v1.<base64url(payload)>.<base64url(HMAC-SHA256(key, "v1." payload64))>,
 * payload {"phone": E.164, "verified_at": Unix seconds, "vid": 32 hex[, "return_to": ...]}.
 * The function returns the phone, or throws UnexpectedValueException: bad format or MAC, too
 * old, already used (its vid is kept in the file $seen, under flock), or, when you pass
 * $return_to (the one you sent the visitor in with, holding a state of their session), made
 * for another return_to.  If you fixed the number with phone_sig, compare it too.
 *
 *   php otp_assertion.php KEY ASSERTION [SEEN_FILE [MAX_AGE]]   prints the phone, or exits 1
 *   php otp_assertion.php sign-phone KEY PHONE                  prints the phone_sig
 */

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
    if ($seen !== null) {  // each assertion is good once: remember its vid ("vid at" lines)
        $f = fopen($seen, 'c+');
        if ($f === false || !flock($f, LOCK_EX))
            throw new RuntimeException("cannot open $seen");
        $keep = ''; $used = false;
        while (($line = fgets($f)) !== false) {
            [$v, $t] = explode(' ', trim($line)) + [1 => 0];
            $used = $used || $v === $vid;
            if ((int)$t >= $now - max($max_age, 86400))  // older ones are expired anyway
                $keep .= "$v $t\n";
        }
        if (!$used) {
            ftruncate($f, 0); rewind($f);
            fwrite($f, "$keep$vid $at\n"); fflush($f);
        }
        flock($f, LOCK_UN); fclose($f);
        if ($used)
            throw new UnexpectedValueException('already used');
    }
    return $phone;
}

if (PHP_SAPI === 'cli' && realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    $a = array_slice($argv, 1);
    try {
        if (count($a) === 3 && $a[0] === 'sign-phone')
            echo otp_phone_sig($a[1], $a[2]), "\n";
        elseif (count($a) >= 2 && count($a) <= 4)
            echo otp_assertion_verify($a[1], $a[0], (int)($a[3] ?? 300), $a[2] ?? null), "\n";
        else {
            fwrite(STDERR, "usage: php otp_assertion.php KEY ASSERTION [SEEN_FILE [MAX_AGE]]\n"
                         . "       php otp_assertion.php sign-phone KEY PHONE\n");
            exit(2);
        }
    } catch (Exception $e) {
        fwrite(STDERR, 'rejected: ' . $e->getMessage() . "\n");
        exit(1);
    }
}
