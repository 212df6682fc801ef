import { execFileSync } from 'node:child_process';

/**
 * A Linux bridge of an extra engine's own (`dockerd --bridge=NAME` wants it made beforehand),
 * with `cidr` as the containers' gateway. No iptables rule is added: containers reach the host
 * at the gateway address, nothing beyond it, which is all tests need.
 */
export function createBridge(name: string, cidr: string): void {
  execFileSync('ip', ['link', 'add', 'name', name, 'type', 'bridge'], { stdio: 'pipe' });
  try {
    execFileSync('ip', ['addr', 'add', cidr, 'dev', name], { stdio: 'pipe' });
    execFileSync('ip', ['link', 'set', name, 'up'], { stdio: 'pipe' });
  } catch (error) {
    deleteBridge(name);
    throw error;
  }
}

export function deleteBridge(name: string): void {
  try {
    execFileSync('ip', ['link', 'delete', name, 'type', 'bridge'], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** A /24 in 10.213.0.0/16 that no interface here uses: outside Docker's own address pools. */
export function freeSubnet(): { gateway: string; cidr: string } {
  const used = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const third = 1 + Math.floor(Math.random() * 253);
    if (used.includes(` 10.213.${third}.`)) continue;
    return { gateway: `10.213.${third}.1`, cidr: `10.213.${third}.1/24` };
  }
  throw new Error('no free /24 left in 10.213.0.0/16');
}
