// The names `switchyard init` chooses for a spec from a live service (src/client/spec-from-service.ts).
import { namesFrom, stageHostFor } from '../../src/client/spec-from-service';
import { environmentName, serviceName } from '../../src/spec/fields';

describe('spec names from an ECS service name', () => {
  it.each([
    ['storefront-web-prod', 'storefront-web', 'prod'],
    ['prod-storefront', 'storefront', 'prod'],
    ['api_staging', 'api', 'staging'],
    ['Checkout-Production', 'checkout', 'prod'],
    ['payments', 'payments', undefined],
    ['prod', 'prod', undefined],
    ['a-very-long-service-name-for-orders-dev', 'a-very-long-service', 'dev'],
  ])('%s → service %s, environment %s', (ecsName, service, environment) => {
    const names = namesFrom(ecsName);
    expect(names).toEqual({ service, environment });
    expect(serviceName.safeParse(names.service).success).toBe(true);
    if (names.environment) expect(environmentName.safeParse(names.environment).success).toBe(true);
  });
});

describe('the stage host', () => {
  it.each([
    ['web.example.com', 'example.com', 'stage-web.example.com'],
    ['example.com', 'example.com', 'stage.example.com'],
    ['api.eu.example.com', 'eu.example.com', 'stage-api.eu.example.com'],
    [`${'a'.repeat(60)}.example.com`, 'example.com', `stage.${'a'.repeat(60)}.example.com`],
  ])('%s in %s → %s', (production, zone, stage) => {
    expect(stageHostFor(production, zone)).toBe(stage);
  });
});
