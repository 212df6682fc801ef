import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { docker } from '../harness/docker-cleanup.ts';
import { buildArm64Images } from '../rigs/platforms.ts';
import { waitUntil } from '../harness/wait-until.ts';

const run = promisify(execFile);
const BASE = 'autoscaler-test/busybox:local';
const REGISTRY_IMAGE = 'autoscaler-test/registry:local';
const TEST_LABEL = 'io.runner-autoscaler.test';

/**
 * The images a workflow of the runner stand-in uses (standin-worker.sh), tiny and built here on
 * the busybox base: `wf-job` (a job container and a `docker run` image: busybox with the Docker
 * CLI), `wf-service` (a service: busybox httpd on 8080) and `wf-action` (a Docker action: what it
 * saw goes to its outputs through GITHUB_OUTPUT, and it writes a file into the workspace).
 */
export const WORKFLOW_IMAGES = ['wf-job', 'wf-service', 'wf-action'] as const;
/** Those, and `wf-arm64`: busybox for linux/arm64. */
export type WorkflowImage = (typeof WORKFLOW_IMAGES)[number] | 'wf-arm64';

const ACTION_SCRIPT = `#!/bin/sh
# A Docker action: the workspace is /github/workspace, outputs go to the file in GITHUB_OUTPUT.
set -e
echo "action args: $*"
echo "action in $(pwd) as $(id -u), workspace: $(ls /github/workspace | tr '\\n' ' ')"
echo "readme=$(cat /github/workspace/README.md)" >>"$GITHUB_OUTPUT"
echo "socket=$(test -S /var/run/docker.sock && echo yes || echo no)" >>"$GITHUB_OUTPUT"
echo "written by the action" >/github/workspace/made-by-action.txt
`;

/** Builds the three images (local tags `autoscaler-test/wf-*:local`); idempotent. */
async function buildImages(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wf-images-'));
  try {
    // The Docker CLI of this machine's docker.io needs only the C library beside busybox.
    const files = [
      '/usr/bin/docker',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ];
    for (const file of files) await copyFile(file, path.join(dir, path.basename(file)));
    await writeFile(path.join(dir, 'action.sh'), ACTION_SCRIPT);
    await chmod(path.join(dir, 'action.sh'), 0o755);
    await writeFile(path.join(dir, 'index.html'), 'service says hello\n');
    const dockerfiles: Record<(typeof WORKFLOW_IMAGES)[number], string> = {
      'wf-job': [
        `FROM ${BASE}`,
        'COPY libc.so.6 /lib/x86_64-linux-gnu/libc.so.6',
        'COPY ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2',
        'COPY docker /usr/bin/docker',
        'CMD ["sh"]',
      ].join('\n'),
      'wf-service': [
        `FROM ${BASE}`,
        'COPY index.html /www/index.html',
        'EXPOSE 8080',
        // The runner waits for a service's health check before the steps (2 s into its start).
        'HEALTHCHECK --interval=1s --start-period=2s CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1',
        'CMD ["sh", "-c", "sleep 2 && exec httpd -f -p 8080 -h /www"]',
      ].join('\n'),
      'wf-action': [`FROM ${BASE}`, 'COPY action.sh /action.sh', 'ENTRYPOINT ["/action.sh"]'].join(
        '\n',
      ),
    };
    for (const [image, dockerfile] of Object.entries(dockerfiles)) {
      await writeFile(path.join(dir, `${image}.Dockerfile`), dockerfile);
      await run('docker', [
        'build',
        '-q',
        '--label',
        `${TEST_LABEL}=true`,
        '-t',
        `autoscaler-test/${image}:local`,
        '-f',
        path.join(dir, `${image}.Dockerfile`),
        dir,
      ]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export type WorkflowRegistry = {
  /** Its name on the network: a dind sidecar's registry mirror is `http://<name>:5000`. */
  name: string;
  /** Where the host's engine reaches it (a localhost registry needs no TLS). */
  hostRef: (image: WorkflowImage) => string;
  /** The Docker Hub name a sidecar with this registry as its mirror pulls (`wf-job`). */
  hubRef: (image: WorkflowImage) => string;
  remove: () => Promise<void>;
};

/**
 * A registry (distribution, the registry:2 stand-in) on `network`, published on a host port,
 * holding the workflow images as Docker Hub's `library/wf-*`: the host's engine pulls them as
 * `127.0.0.1:PORT/library/wf-*`, a dind sidecar with the registry as its mirror as `wf-*`.
 */
export async function startWorkflowRegistry(
  network: string,
  /** The host address it is published on (default 127.0.0.1): another engine's gateway, say. */
  publishOn = '127.0.0.1',
): Promise<WorkflowRegistry & { port: number }> {
  await buildImages();
  const name = `${network}-registry`;
  const container = await docker.createContainer({
    name,
    Image: REGISTRY_IMAGE,
    Labels: { [TEST_LABEL]: 'true' },
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: {
      NetworkMode: network,
      PortBindings: {
        '5000/tcp': [
          { HostIp: '127.0.0.1', HostPort: '' },
          ...(publishOn === '127.0.0.1' ? [] : [{ HostIp: publishOn, HostPort: '' }]),
        ],
      },
    },
  });
  await container.start();
  const info = await container.inspect();
  const portOn = (ip: string) =>
    Number(
      info.NetworkSettings.Ports['5000/tcp']?.find((binding) => binding.HostIp === ip)?.HostPort,
    );
  const port = portOn('127.0.0.1');
  await waitUntil(
    () =>
      fetch(`http://127.0.0.1:${port}/v2/`).then(
        (response) => response.ok,
        () => false,
      ),
    20_000,
    'the workflow registry answering',
  );
  const hostRef = (image: WorkflowImage) => `127.0.0.1:${port}/library/${image}`;
  for (const image of WORKFLOW_IMAGES) {
    await run('docker', ['tag', `autoscaler-test/${image}:local`, hostRef(image)]);
    await run('docker', ['push', '-q', hostRef(image)]);
  }
  // An arm64 image (build-arm64-images.sh) for jobs that run or build for another platform.
  buildArm64Images();
  await run('docker', ['tag', 'autoscaler-test/busybox:arm64', hostRef('wf-arm64')]);
  await run('docker', ['push', '-q', hostRef('wf-arm64')]);
  return {
    name,
    port: portOn(publishOn),
    hostRef,
    hubRef: (image) => image,
    remove: async () => {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      for (const image of [...WORKFLOW_IMAGES, 'wf-arm64' as const])
        await docker
          .getImage(hostRef(image))
          .remove()
          .catch(() => undefined);
    },
  };
}
