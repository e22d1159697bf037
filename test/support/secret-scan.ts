// Scans a workflow history (as JSON) for plaintext secrets: environment variables whose names look like
// secrets and that carry a value. Payloads are base64-encoded JSON inside the history: decoded first.
import { secretLooking } from '../../src/spec/schema';

function decodedPayloads(historyJson: string): string[] {
  const texts: string[] = [historyJson];
  for (const [, data] of historyJson.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g))
    texts.push(Buffer.from(data, 'base64').toString('utf8'));
  return texts;
}

/** Every `{name, value}` pair with a secret-looking name found in the history, as "NAME=value". */
export function plaintextSecrets(historyJson: string): string[] {
  const found: string[] = [];
  for (const text of decodedPayloads(historyJson)) {
    for (const [, name, value] of text.matchAll(/\{"name":"([^"]+)","value":"([^"]*)"/g))
      if (secretLooking.test(name) && value) found.push(`${name}=${value}`);
  }
  return found;
}

/** True when the text appears in the history or in any payload in it. */
export function historyMentions(historyJson: string, text: string): boolean {
  return decodedPayloads(historyJson).some((t) => t.includes(text));
}
