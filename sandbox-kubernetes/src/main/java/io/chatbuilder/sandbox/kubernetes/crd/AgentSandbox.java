package io.chatbuilder.sandbox.kubernetes.crd;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code agents.x-k8s.io/v1alpha1 Sandbox} (named {@code AgentSandbox} here so it does not clash with
 * the core {@code Sandbox} SPI): one sandbox pod with a stable identity and a headless service.
 */
@Group(AgentSandboxApi.CORE_GROUP)
@Version(AgentSandboxApi.VERSION)
@Kind("Sandbox")
@Plural("sandboxes")
public class AgentSandbox extends CustomResource<AgentSandboxSpec, AgentSandboxStatus> implements Namespaced {
  private static final long serialVersionUID = 1L;
}
