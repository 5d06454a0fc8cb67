package io.chatbuilder.sandbox.kubernetes.crd;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/** {@code extensions.agents.x-k8s.io/v1alpha1 SandboxWarmPool}: ready sandboxes of a template, waiting for claims. */
@Group(AgentSandboxApi.EXTENSIONS_GROUP)
@Version(AgentSandboxApi.VERSION)
@Kind("SandboxWarmPool")
@Plural("sandboxwarmpools")
public class SandboxWarmPool extends CustomResource<SandboxWarmPoolSpec, SandboxWarmPoolStatus> implements Namespaced {
  private static final long serialVersionUID = 1L;
}
