package io.chatbuilder.sandbox.kubernetes.crd;

/**
 * Groups, versions and well-known names of kubernetes-sigs/agent-sandbox (v1alpha1), as in its Go
 * API types: {@code api/v1alpha1} (group {@code agents.x-k8s.io}: {@code Sandbox}) and
 * {@code extensions/api/v1alpha1} (group {@code extensions.agents.x-k8s.io}: {@code SandboxClaim},
 * {@code SandboxTemplate}, {@code SandboxWarmPool}).
 */
public final class AgentSandboxApi {
  /** Group of {@code Sandbox}. */
  public static final String CORE_GROUP = "agents.x-k8s.io";
  /** Group of {@code SandboxClaim}, {@code SandboxTemplate} and {@code SandboxWarmPool}. */
  public static final String EXTENSIONS_GROUP = "extensions.agents.x-k8s.io";
  public static final String VERSION = "v1alpha1";
  /** The condition type the controllers set on claims and sandboxes ({@code SandboxConditionReady}). */
  public static final String READY = "Ready";
  /** {@code ShutdownPolicyDelete}: the controller deletes the claim (and its sandbox) when it expires. */
  public static final String SHUTDOWN_DELETE = "Delete";

  private AgentSandboxApi() {}
}
