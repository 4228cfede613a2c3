// Independent verifier for Continuum's credentials — Digital Bazaar's libraries, not ours.
//
//   node verify.mjs CREDENTIAL.json --contexts DIR --map https://HOST=http://127.0.0.1:PORT
//
// The document loader answers from the vendored contexts in DIR (contexts.json names them),
// resolves the issuer's did:web and status list by mapping its https origin to the app on
// loopback, and refuses every other fetch. Prints {"verified": bool, "errors": [...]} and
// exits 0 only when the credential verifies (proof and revocation status).
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

function args(argv) {
  const out = {file: null, contexts: null, maps: []};
  for(let i = 0; i < argv.length; i++) {
    if(argv[i] === '--contexts') {
      out.contexts = argv[++i];
    } else if(argv[i] === '--map') {
      const [from, to] = argv[++i].split('=');
      out.maps.push({from, to});
    } else {
      out.file = argv[i];
    }
  }
  if(!out.file || !out.contexts || out.maps.length === 0) {
    throw new Error('usage: verify.mjs FILE --contexts DIR --map https://HOST=http://LOOPBACK');
  }
  return out;
}

const opts = args(process.argv.slice(2));
const index = JSON.parse(
  await readFile(path.join(opts.contexts, 'contexts.json'), 'utf8'));
const contexts = new Map();
for(const [url, file] of Object.entries(index)) {
  contexts.set(url, JSON.parse(
    await readFile(path.join(opts.contexts, file), 'utf8')));
}

// did:web:host:a:b -> https://host/a/b/did.json (a port is written %3A in the DID).
function didWebUrl(did) {
  const [host, ...segments] = did.slice('did:web:'.length).split(':');
  return `https://${decodeURIComponent(host)}/${segments.join('/')}/did.json`;
}

async function fetchMapped(url) {
  const target = opts.maps.find(({from}) => url.startsWith(from + '/'));
  if(!target) {
    throw new Error(`refused network fetch: ${url}`);
  }
  const local = target.to + url.slice(target.from.length);
  const loopback = new URL(local);
  if(!['127.0.0.1', 'localhost', '[::1]'].includes(loopback.hostname)) {
    throw new Error(`refused non-loopback fetch: ${local}`);
  }
  const response = await fetch(local, {redirect: 'error'});
  if(!response.ok) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return response.json();
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const didDocument = await fetchMapped(didWebUrl(did));
    if(didDocument.id !== did) {
      throw new Error(`DID document at ${didWebUrl(did)} is for ${didDocument.id}`);
    }
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    const method = (didDocument.verificationMethod || []).find(m => m.id === url);
    if(!method) {
      throw new Error(`${did} publishes no verification method ${url}`);
    }
    return {
      contextUrl: null,
      documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}
    };
  }
  if(url.startsWith('https://')) {
    const document = await fetchMapped(url.split('#')[0]);
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`refused network fetch: ${url}`);
}

const credential = JSON.parse(await readFile(opts.file, 'utf8'));
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const result = await vc.verifyCredential({
  credential,
  suite,
  documentLoader,
  checkStatus: ({credential}) => checkStatus({
    credential, documentLoader, suite, verifyBitstringStatusListCredential: true,
    verifyMatchingIssuers: true
  })
});

function messages(r) {
  const found = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    if(e.message) {
      found.push(e.message);
    }
    walk(e.errors);
    walk(e.cause);
  };
  walk(r.error);
  for(const p of r.results || []) {
    walk(p.error);
  }
  if(r.statusResult && !r.statusResult.verified) {
    walk(r.statusResult.error);
  }
  if((r.statusResult && r.statusResult.results || []).some(s => s.status === true)) {
    found.push('credential status: revoked');
  }
  return found;
}

// The status checker reports a set bit as `status: true` in each entry's result (its
// `verified` means the status list itself verified); a revoked credential is not valid.
const statusResults = (result.statusResult && result.statusResult.results) || [];
const revoked = statusResults.length === 0 ? null : statusResults.some(
  r => r.status === true && r.credentialStatus.statusPurpose === 'revocation');
const verified = result.verified === true && revoked === false;
process.stdout.write(JSON.stringify({
  verified,
  revoked,
  errors: messages(result)
}) + '\n');
process.exit(verified ? 0 : 1);
