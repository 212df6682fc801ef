/** The label docker-compose.build.yml puts on every image it builds from a checkout. */
export const BUILD_LABEL = 'io.runner-autoscaler.build';

/** What `docker image inspect` tells of an image that says where it came from. */
export type ImageOrigin = {
  labels: Readonly<Record<string, string>>;
  repoDigests: readonly string[] | null | undefined;
};

/**
 * Whether an image was built here (or loaded) rather than pulled: RUNNER_PULL_POLICY=auto then
 * leaves it alone instead of pulling the registry's image over it. Said by the build label; else
 * by the want of a registry digest, which is all an image built without the compose file shows
 * on Docker's classic image store. On the containerd image store (the default of fresh Docker 29
 * installs) a local build has RepoDigests too (moby/moby#45122, #48747): the label is what
 * tells there.
 */
export function builtHere(image: ImageOrigin): boolean {
  return image.labels[BUILD_LABEL] === 'local' || (image.repoDigests ?? []).length === 0;
}
