/** Fields of Docker's API that @types/dockerode does not declare yet. */
declare module 'dockerode' {
  interface HostConfig {
    /** API 1.41 (Docker 20.10). `private`: the container gets a cgroup namespace of its own, and sees its cgroup as `/`. */
    CgroupnsMode?: 'private' | 'host' | undefined;
  }
}

export {};
