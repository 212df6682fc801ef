import { execFileSync } from 'node:child_process';

/** Integration tests need a Docker engine and the locally built test images; fail loudly without them. */
export default function setup(): void {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe' });
  } catch {
    throw new Error('no Docker engine answers: run `bash .ci/ensure-docker.sh` first');
  }
  execFileSync('bash', ['test/support/images/build-images.sh'], { stdio: 'inherit' });
}
