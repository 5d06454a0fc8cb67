package io.chatbuilder.sandbox.local;

/**
 * Whether a {@link LocalSandbox} runs app code inside bubblewrap. There is no mode that falls back
 * silently: {@link #BUBBLEWRAP} refuses to run a command or service where bubblewrap does not work,
 * and running unisolated is a choice the host writes down.
 */
public enum Isolation {
  /**
   * The default: every command and service runs inside bubblewrap (Debian packages {@code bubblewrap}
   * and {@code socat}) with limits and no network but the policy's holes. Where bubblewrap is missing
   * or cannot create namespaces, commands and services fail with a {@link io.chatbuilder.core.SandboxException}
   * naming the package; the file tools keep working.
   */
  BUBBLEWRAP,

  /**
   * Explicit opt-in: commands and services run as plain child processes of the JVM with the policy's
   * checks, the environment scrub and the tree kill only. App code can then read and write whatever
   * the JVM's user can and reach every service on the host. Logged at WARN for every sandbox built
   * this way; use it only for trusted code (tests of file tools, benchmarks of the SDK itself).
   */
  UNISOLATED,

  /**
   * Old name of {@link #UNISOLATED}, kept so callers compile while they move to
   * {@link LocalSandbox.Builder#unisolated()}; behaves exactly like it (and is logged the same way).
   *
   * @deprecated use {@link LocalSandbox.Builder#unisolated()} or {@link #UNISOLATED}
   */
  @Deprecated
  NONE
}
