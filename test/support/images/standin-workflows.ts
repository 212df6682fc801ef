import { expect } from 'vitest';
import type { FakeGitHub } from '../fakes/fake-github/index.ts';
import type { WorkflowImage } from './workflow-images.ts';

/** One step's account, as the runner stand-in's worker reports it (standin-worker.sh). */
export type StepReport = {
  step: number;
  name: string;
  exit: number;
  /** How long the step took. */
  ms: number;
  output: string;
  outputs: Record<string, string>;
};

/** The reports of a job's steps, in order (step 0: the set-up of its containers). */
export function stepReports(fake: FakeGitHub, jobId: number): StepReport[] {
  return fake
    .reports()
    .filter((report) => report.jobId === jobId)
    .map((report) => JSON.parse(report.text) as StepReport)
    .sort((a, b) => a.step - b.step);
}

/** The steps' reports as text, for a failing assertion to show. */
export const describeReports = (reports: StepReport[]) =>
  reports
    .map((r) => `step ${r.step} (${r.name}) exit ${r.exit} in ${r.ms} ms:\n${r.output}`)
    .join('\n---\n');

/**
 * A `container:` job with a service, as GitHub's docs show them: the checkout and every step run
 * in the job container (the checkout with the runner's node, /__e), a step drives the engine
 * through /var/run/docker.sock and reaches the service by its name, writes its outputs and a
 * file; then a Docker action sees the workspace, and the next step sees the action's file.
 */
export function containerJob(ref: (image: WorkflowImage) => string) {
  return {
    container: { image: ref('wf-job') },
    services: { web: { image: ref('wf-service'), ports: ['8080'] } },
    steps: [
      { uses: 'actions/checkout@v4' },
      {
        id: 'inside',
        run: [
          'echo "cwd $(pwd) uid $(id -u) home $HOME"',
          'cat README.md',
          'echo "engine=$(docker version --format "{{.Server.Version}}")" >>"$GITHUB_OUTPUT"',
          'echo "service=$(wget -qO- http://web:8080/)" >>"$GITHUB_OUTPUT"',
          'echo "readme=$(cat README.md)" >>"$GITHUB_OUTPUT"',
          'echo "written in the job container" >made-by-container.txt',
        ].join('\n'),
      },
      { id: 'action', uses: `docker://${ref('wf-action')}`, args: ['one', 'two'] },
      { id: 'after', run: 'echo "action-file=$(cat made-by-action.txt)" >>"$GITHUB_OUTPUT"' },
    ],
  };
}

/**
 * Steps on the runner itself, with a service: the checkout, a `docker run -v
 * "$GITHUB_WORKSPACE":/src` that reads it and writes into it as root, the runner's user reading
 * that and writing beside it, the service on localhost at its mapped port, a Docker action. The
 * first step reports what the runner found before it began (its work folder, the engine's
 * containers and images), to show that nothing of an earlier job is left.
 */
export function runnerJob(ref: (image: WorkflowImage) => string) {
  return {
    services: { web: { image: ref('wf-service'), ports: ['8080'] } },
    steps: [
      {
        id: 'before',
        run: [
          'echo "leftovers=$(find "$RUNNER_TEMP/.." -name "made-by-*" -o -name by-root.txt | tr "\\n" " ")" >>"$GITHUB_OUTPUT"',
          'echo "workspace=$(ls -A "$GITHUB_WORKSPACE" | tr "\\n" " ")" >>"$GITHUB_OUTPUT"',
          'echo "images=$(docker images --format "{{.Repository}}" | sort | tr "\\n" " ")" >>"$GITHUB_OUTPUT"',
          'echo "uid=$(id -u)" >>"$GITHUB_OUTPUT"',
        ].join('\n'),
      },
      { uses: 'actions/checkout@v4' },
      {
        id: 'mount',
        run: [
          `docker run --rm -v "$GITHUB_WORKSPACE":/src ${ref('wf-job')} sh -c 'cat /src/README.md && echo written-by-root >/src/by-root.txt && mkdir -p /src/root-dir && echo x >/src/root-dir/file'`,
          'echo "readme=$(docker run --rm -v "$GITHUB_WORKSPACE":/src ' +
            ref('wf-job') +
            ' cat /src/README.md)" >>"$GITHUB_OUTPUT"',
        ].join('\n'),
      },
      {
        id: 'runner',
        run: [
          'echo "by-root=$(cat by-root.txt) $(cat root-dir/file)" >>"$GITHUB_OUTPUT"',
          'mkdir -p made-by-runner && echo ok >made-by-runner/file',
          'echo "made=$(cat made-by-runner/file)" >>"$GITHUB_OUTPUT"',
        ].join('\n'),
      },
      {
        id: 'service',
        run: [
          "service=${{ job.services.web.ports['8080'] }}",
          'echo "answer=$(curl -fsS http://localhost:$service/)" >>"$GITHUB_OUTPUT"',
          // A step's own `docker run -p`, with an ephemeral port as the service has.
          `docker run -d --name published -p 8080 ${ref('wf-service')} >/dev/null`,
          'run=$(docker port published 8080/tcp | head -n 1 | sed "s/.*://")',
          'for i in $(seq 50); do curl -fsS -o /dev/null http://localhost:$run/ && break; sleep 0.2; done',
          'echo "run-p=$(curl -fsS http://localhost:$run/)" >>"$GITHUB_OUTPUT"',
          // What another container on the runner's Docker network would reach: its address.
          'address=$(hostname -i | cut -d" " -f1)',
          'reach() { curl -fsS --max-time 5 "http://$address:$1/" || echo refused; }',
          'echo "run-p-from-network=$(reach "$run")" >>"$GITHUB_OUTPUT"',
          'echo "service-from-network=$(reach "$service")" >>"$GITHUB_OUTPUT"',
          'docker rm -f published >/dev/null',
        ].join('\n'),
      },
      { id: 'action', uses: `docker://${ref('wf-action')}` },
    ],
  };
}

const outputsOf = (reports: StepReport[]) =>
  Object.fromEntries(reports.map((report) => [report.name, report.outputs]));

/** What a container job (containerJob) must have seen and done. */
export function expectContainerJob(reports: StepReport[], jobId: number) {
  // The runner waited for the service's health check (it answers 2 s after its start).
  expect(reports[0]?.output).toMatch(/service \S+ is healthy/);
  const checkout = reports.find((r) => r.name === 'actions/checkout@v4');
  // The checkout ran in the job container with the runner's node, from the image's externals.
  expect(checkout?.output).toContain('node (stand-in) 20.19.0-standin from /__e/node20');
  expect(checkout?.output).toContain('checked out into /__w/hello-world/hello-world as 0');
  const [, , inside, action, after] = reports;
  expect(inside?.output).toContain(`checkout of octocat/hello-world for job ${jobId}`);
  // The socket in the job container answers: the job's own engine.
  expect(inside?.outputs.engine).toMatch(/^\d+\.\d+/);
  expect(inside?.outputs.service).toBe('service says hello');
  expect(inside?.outputs.readme).toBe(`checkout of octocat/hello-world for job ${jobId}`);
  // The Docker action saw the workspace; its outputs reached the runner (/github/file_commands).
  expect(action?.output).toContain('action args: one two');
  expect(action?.outputs).toEqual({
    readme: `checkout of octocat/hello-world for job ${jobId}`,
    socket: 'yes',
  });
  expect(after?.outputs['action-file']).toBe('written by the action');
}

/**
 * What a job of steps on the runner (runnerJob) must have seen and done; `fresh`: the runner
 * took no job before (an ephemeral runner), so nothing of an earlier one is in its work folder.
 */
export function expectRunnerJob(reports: StepReport[], jobId: number, fresh = true) {
  const steps = outputsOf(reports);
  const checkout = reports.find((r) => r.name === 'actions/checkout@v4');
  expect(checkout?.output).toMatch(
    /node \(stand-in\) 20\.19\.0-standin from \S+\/externals\/node20/,
  );
  expect(checkout?.output).toMatch(/checked out into \S+\/_work\/hello-world\/hello-world as 1001/);
  const before = reports[1]?.outputs;
  expect(before?.uid).toBe('1001');
  if (fresh) {
    // Nothing of the job before: no file in the work folder, an empty workspace.
    expect(before?.leftovers).toBe('');
    expect(before?.workspace).toBe('');
  }
  const mount = reports[3]?.outputs;
  expect(mount?.readme).toBe(`checkout of octocat/hello-world for job ${jobId}`);
  const runner = reports[4]?.outputs;
  // The runner's user reads what a job's container wrote as root, and writes beside it.
  expect(runner).toEqual({ 'by-root': 'written-by-root x', made: 'ok' });
  expect(reports[5]?.outputs.answer).toBe('service says hello');
  expect(steps[reports[6]?.name ?? '']?.readme).toBe(
    `checkout of octocat/hello-world for job ${jobId}`,
  );
}
