// docker-compose.temporal.yml cannot run here (no Docker engine); keep it coherent.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

interface Service {
  image: string;
  depends_on?: string[] | Record<string, unknown>;
  environment?: Record<string, string>;
  ports?: string[];
}

const compose = parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'docker-compose.temporal.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};

describe('docker-compose.temporal.yml', () => {
  const services = Object.entries(compose.services);

  it('runs Temporal, PostgreSQL and the web UI', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgresql', 'temporal', 'temporal-ui']);
  });

  it.each(services)('%s pins its image to a version', (_name, service) => {
    expect(service.image).toMatch(/^[a-z0-9/_-]+:\d+(\.\d+)+$/);
  });

  it.each(services)('%s depends only on services that exist', (_name, service) => {
    const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dep of deps) expect(compose.services).toHaveProperty(dep);
  });

  it('exposes Temporal where TEMPORAL_ADDRESS defaults, on loopback only', () => {
    expect(compose.services.temporal.ports).toEqual(['127.0.0.1:7233:7233']);
    expect(compose.services['temporal-ui'].environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('gives Temporal the credentials PostgreSQL is created with', () => {
    const pg = compose.services.postgresql.environment!;
    const t = compose.services.temporal.environment!;
    expect([t.POSTGRES_USER, t.POSTGRES_PWD, t.POSTGRES_SEEDS]).toEqual([
      pg.POSTGRES_USER,
      pg.POSTGRES_PASSWORD,
      'postgresql',
    ]);
  });
});
