// Checks a token as a Node site would, with jose (npm), nothing of this
// project: node jose_verify.mjs TOKEN ISSUER AUDIENCE (hs256 SECRET | jwks FILE)
// Prints the claims as JSON and exits 0, or prints the error and exits 1.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [token, issuer, audience, how, arg] = process.argv.slice(2);
// jose from where make check put it (build/node), given as JOSE_DIR.
const require = createRequire(pathToFileURL(process.env.JOSE_DIR + '/'));
const jose = await import(pathToFileURL(require.resolve('jose')));

try {
  let key, algorithms;
  if (how === 'hs256') {
    key = new TextEncoder().encode(arg);
    algorithms = ['HS256'];
  } else if (how === 'url') {
    // as the README shows it: the set fetched from where the operator published it
    key = jose.createRemoteJWKSet(new URL(arg));
    algorithms = ['EdDSA'];
  } else {
    key = jose.createLocalJWKSet(JSON.parse(readFileSync(arg, 'utf8')));
    algorithms = ['EdDSA'];
  }
  const { payload, protectedHeader } = await jose.jwtVerify(token, key, {
    issuer, audience, algorithms, typ: 'JWT', requiredClaims: ['jti'],
  });
  console.log(JSON.stringify({ header: protectedHeader, payload }));
} catch (e) {
  console.log(String(e.code || e.name) + ': ' + e.message);
  process.exit(1);
}
