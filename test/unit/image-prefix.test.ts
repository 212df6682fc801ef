import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli, imagePrefix } from '../../scripts/image-prefix.js';

describe('image prefix per registry', () => {
  it('GHCR by default, under the lowercased owner (forks publish under their own)', () => {
    expect(imagePrefix({ owner: 'My-Fork' })).toBe('ghcr.io/my-fork/runner-autoscaler');
    expect(imagePrefix({ registry: 'ghcr', owner: 'runner-autoscaler' })).toBe(
      'ghcr.io/runner-autoscaler/runner-autoscaler',
    );
  });

  it('Docker Hub under its namespace, ECR under its registry host', () => {
    expect(imagePrefix({ registry: 'dockerhub', namespace: 'Acme' })).toBe(
      'docker.io/acme/runner-autoscaler',
    );
    expect(
      imagePrefix({ registry: 'ecr', ecrRegistry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' }),
    ).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/runner-autoscaler');
  });

  it('refuses what cannot be an image name', () => {
    expect(() => imagePrefix({ registry: 'quay', owner: 'x' })).toThrow(/registry/);
    expect(() => imagePrefix({ registry: 'dockerhub', namespace: 'none/x' })).toThrow(/namespace/);
    expect(() => imagePrefix({ registry: 'ecr', ecrRegistry: 'none' })).toThrow(/ecr-registry/);
    expect(() => cli(['--owner'])).toThrow(/bad argument/);
  });

  it('prints the prefix as publish.yml calls it', () => {
    const out = execFileSync(
      process.execPath,
      [
        'scripts/image-prefix.js',
        '--registry',
        'ghcr',
        '--owner',
        'Octo',
        '--namespace',
        'none',
        '--ecr-registry',
        'none',
      ],
      { encoding: 'utf8' },
    );
    expect(out).toBe('ghcr.io/octo/runner-autoscaler\n');
  });
});
