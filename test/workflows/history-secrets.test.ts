// No plaintext secret in any recorded deployment history (test/histories), and the scanner finds one
// when there is (so a history that carried a secret would fail here).
import fs from 'node:fs';
import path from 'node:path';
import { historyMentions, plaintextSecrets } from '../support/secret-scan';

const dir = path.resolve(__dirname, '..', 'histories');

describe('secrets in recorded histories', () => {
  it.each(fs.readdirSync(dir).filter((f) => f.endsWith('.json')))('%s carries no plaintext secret', (file) => {
    const history = fs.readFileSync(path.join(dir, file), 'utf8');
    // The scan reads what the deployment registered: every history that registers a revision carries its
    // container definitions (a forced redeploy registers none).
    if (history.includes('"registerTaskDefinition"'))
      expect(historyMentions(history, 'containerDefinitions')).toBe(true);
    expect(plaintextSecrets(history)).toEqual([]);
  });

  it('the scanner finds a plaintext secret inside an encoded payload', () => {
    const payload = Buffer.from(
      JSON.stringify({
        environment: [
          { name: 'DB_PASSWORD', value: 'hunter2' },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
      }),
    ).toString('base64');
    expect(plaintextSecrets(JSON.stringify({ events: [{ input: { payloads: [{ data: payload }] } }] }))).toEqual([
      'DB_PASSWORD=hunter2',
    ]);
  });
});
