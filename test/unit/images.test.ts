// Image references as Docker and ECS read them, and ECR's private registry hosts (src/shared/images.ts).
import { ecrImageOf, isPinned, parseImageReference, pinnedImage } from '../../src/shared/images';
import { imageReferencePattern } from '../../src/spec/fields';

const digest = `sha256:${'ab12'.repeat(16)}`;
const ecr = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

describe('parseImageReference', () => {
  it.each([
    ['nginx', { repository: 'nginx' }],
    ['nginx:1.27', { repository: 'nginx', tag: '1.27' }],
    ['library/nginx:latest', { repository: 'library/nginx', tag: 'latest' }],
    ['web/api', { repository: 'web/api' }],
    ['localhost/web', { registry: 'localhost', repository: 'web' }],
    ['localhost:5000/web:1', { registry: 'localhost:5000', repository: 'web', tag: '1' }],
    [
      'registry.example.com:8443/team/web:1.4.2',
      { registry: 'registry.example.com:8443', repository: 'team/web', tag: '1.4.2' },
    ],
    [`nginx@${digest}`, { repository: 'nginx', digest }],
    [`${ecr}/web:1.4@${digest}`, { registry: ecr, repository: 'web', tag: '1.4', digest }],
    ['public.ecr.aws/nginx/nginx:1.28', { registry: 'public.ecr.aws', repository: 'nginx/nginx', tag: '1.28' }],
  ])('%s', (ref, expected) => {
    expect(parseImageReference(ref)).toEqual({ registry: undefined, tag: undefined, digest: undefined, ...expected });
  });

  it.each(['', 'web:', 'web@sha256:abc', `web@sha512:${'a'.repeat(64)}`, 'a//b', '/web', 'web:-bad'])(
    'refuses %j',
    (ref) => expect(parseImageReference(ref)).toBeUndefined(),
  );
});

describe('ecrImageOf', () => {
  it.each([
    [`${ecr}/web:1.4`, { registryId: '123456789012', region: 'us-east-1', repository: 'web', tag: '1.4' }],
    [
      '210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/web',
      { registryId: '210987654321', region: 'eu-west-1', repository: 'team/web' },
    ],
    [
      '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/web:2',
      { registryId: '123456789012', region: 'us-gov-west-1', repository: 'web', tag: '2' },
    ],
    [
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:2',
      { registryId: '123456789012', region: 'cn-north-1', repository: 'web', tag: '2' },
    ],
    [
      '123456789012.dkr-ecr.ap-south-1.on.aws/web:2',
      { registryId: '123456789012', region: 'ap-south-1', repository: 'web', tag: '2' },
    ],
    [`${ecr}/web@${digest}`, { registryId: '123456789012', region: 'us-east-1', repository: 'web', digest }],
  ])('%s', (ref, expected) => {
    expect(ecrImageOf(ref)).toMatchObject({ ...expected, registry: ref.split('/')[0] });
  });

  it.each([
    'nginx:1.27',
    'public.ecr.aws/nginx/nginx:1.28',
    'registry.example.com/web:1',
    '12345678901.dkr.ecr.us-east-1.amazonaws.com/web:1',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/web:1',
    'ghcr.io/123456789012.dkr.ecr.us-east-1.amazonaws.com/web',
  ])('not a private ECR image: %s', (ref) => expect(ecrImageOf(ref)).toBeUndefined());
});

describe('pinnedImage and isPinned', () => {
  it.each([
    [`${ecr}/web:1.4`, `${ecr}/web@${digest}`],
    [`${ecr}/team/web`, `${ecr}/team/web@${digest}`],
    [`${ecr}/web:1.4@sha256:${'0'.repeat(64)}`, `${ecr}/web@${digest}`],
    ['nginx:1.27', `nginx@${digest}`],
  ])('%s pinned is %s, a reference the spec accepts', (ref, pinned) => {
    expect(pinnedImage(ref, digest)).toBe(pinned);
    expect(isPinned(pinned)).toBe(true);
    expect(imageReferencePattern.test(pinned)).toBe(true);
  });

  it('is not pinned by a tag', () => {
    expect(isPinned(`${ecr}/web:1.4`)).toBe(false);
    expect(isPinned('nginx')).toBe(false);
  });

  it('refuses what is not a digest', () => {
    expect(() => pinnedImage(`${ecr}/web:1`, 'sha256:abc')).toThrow(/not a sha256 digest/);
  });
});
