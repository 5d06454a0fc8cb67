package io.chatbuilder.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxClaim;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The requests the provider sends to the API server, field by field, against agent-sandbox's
 * published v1alpha1 Go types (extensions/api/v1alpha1/sandboxclaim_types.go,
 * api/v1alpha1/sandbox_types.go; see the README): group, version, kind, the JSON names of the
 * fields, the required ones present, nothing the types do not declare, and no value in the claim
 * that would force a cold start.
 */
class ClaimRequestTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** json tags of SandboxClaimSpec (v1alpha1): sandboxTemplateRef (required), lifecycle, warmpool. */
  private static final Set<String> CLAIM_SPEC_FIELDS = Set.of("sandboxTemplateRef", "lifecycle", "warmpool");
  /** json tags of Lifecycle: shutdownTime, shutdownPolicy (enum Delete, Retain). */
  private static final Set<String> LIFECYCLE_FIELDS = Set.of("shutdownTime", "shutdownPolicy");
  private static final String CLAIMS = "/apis/extensions.agents.x-k8s.io/v1alpha1/namespaces/builders/sandboxclaims";

  @TempDir Path dir;

  @Test
  void claimSecretAndPatchBodiesMatchThePublishedTypes() throws Exception {
    SimulatedCluster.requireIsolation(dir);
    Instant now = Instant.parse("2026-12-02T05:00:00Z");
    try (SimulatedCluster cluster = new SimulatedCluster(dir, 1)) {
      drain(cluster);
      KubernetesSandboxProvider provider = cluster.start(cluster.provider("host-a")
          .claimTtl(Duration.ofMinutes(30)).clock(Clock.fixed(now, ZoneOffset.UTC)));
      Sandbox sandbox = provider.open("shop");
      sandbox.write("index.html", "<h1>shop</h1>\n".getBytes(StandardCharsets.UTF_8));
      List<SimulatedCluster.Recorded> requests = drain(cluster);

      String name = KubernetesSandboxProvider.claimName("shop");
      assertThat(name).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").hasSizeLessThanOrEqualTo(63);
      SimulatedCluster.Recorded post = only(requests, "POST", CLAIMS);
      JsonNode claim = JSON.readTree(post.body());
      assertThat(fields(claim)).containsExactlyInAnyOrder("apiVersion", "kind", "metadata", "spec");
      assertThat(claim.get("apiVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1alpha1");
      assertThat(claim.get("kind").asText()).isEqualTo("SandboxClaim");
      JsonNode meta = claim.get("metadata");
      assertThat(fields(meta)).containsExactlyInAnyOrder("name", "namespace", "labels", "annotations");
      assertThat(meta.get("name").asText()).isEqualTo(name);
      assertThat(meta.get("namespace").asText()).isEqualTo("builders");
      assertThat(meta.get("labels").toString()).isEqualTo("{\"chatbuilder.io/app\":\"shop\"}");
      assertThat(fields(meta.get("annotations"))).containsExactlyInAnyOrder("chatbuilder.io/app-id", "chatbuilder.io/holder");
      assertThat(meta.get("annotations").get("chatbuilder.io/app-id").asText()).isEqualTo("shop");
      assertThat(meta.get("annotations").get("chatbuilder.io/holder").asText()).isEqualTo("host-a");

      JsonNode spec = claim.get("spec");
      assertThat(fields(spec)).containsExactlyInAnyOrderElementsOf(CLAIM_SPEC_FIELDS);
      assertThat(spec.get("sandboxTemplateRef").toString()).isEqualTo("{\"name\":\"chatbuilder-host\"}");
      assertThat(spec.get("warmpool").isTextual()).isTrue();
      assertThat(spec.get("warmpool").asText()).isEqualTo("chatbuilder-pool");
      assertThat(fields(spec.get("lifecycle"))).containsExactlyInAnyOrderElementsOf(LIFECYCLE_FIELDS);
      assertThat(spec.get("lifecycle").get("shutdownTime").asText()).isEqualTo("2026-12-02T05:30:00Z");
      assertThat(spec.get("lifecycle").get("shutdownPolicy").asText()).isIn("Delete", "Retain").isEqualTo("Delete");

      // The token goes to a Secret owned by the claim, never into the claim.
      SimulatedCluster.Recorded secretPost = only(requests, "POST", "/api/v1/namespaces/builders/secrets");
      JsonNode secret = JSON.readTree(secretPost.body());
      assertThat(secret.get("apiVersion").asText()).isEqualTo("v1");
      assertThat(secret.get("kind").asText()).isEqualTo("Secret");
      assertThat(secret.get("type").asText()).isEqualTo("Opaque");
      assertThat(secret.get("metadata").get("name").asText()).isEqualTo(name + "-token");
      assertThat(fields(secret.get("data"))).containsExactly("token");
      String token = new String(Base64.getDecoder().decode(secret.get("data").get("token").asText()), StandardCharsets.UTF_8);
      assertThat(token).hasSizeGreaterThanOrEqualTo(43);
      assertThat(post.body()).doesNotContain(token);
      JsonNode owner = secret.get("metadata").get("ownerReferences").get(0);
      SandboxClaim stored = cluster.client.resources(SandboxClaim.class).inNamespace("builders").withName(name).get();
      assertThat(owner.get("apiVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1alpha1");
      assertThat(owner.get("kind").asText()).isEqualTo("SandboxClaim");
      assertThat(owner.get("name").asText()).isEqualTo(name);
      assertThat(owner.get("uid").asText()).isEqualTo(stored.getMetadata().getUid()).isNotEmpty();

      // The holder annotation is a JSON merge patch of metadata only (status is the controller's).
      SimulatedCluster.Recorded patch = only(requests, "PATCH", CLAIMS + "/" + name);
      assertThat(patch.contentType()).startsWith("application/merge-patch+json");
      assertThat(patch.body()).isEqualTo("{\"metadata\":{\"annotations\":{\"chatbuilder.io/holder\":\"host-a\"}}}");
      assertThat(stored.getStatus().ready()).isTrue();

      // The Sandbox is read from the core group.
      assertThat(requests).anySatisfy(r -> {
        assertThat(r.method()).isEqualTo("GET");
        assertThat(r.path()).isEqualTo("/apis/agents.x-k8s.io/v1alpha1/namespaces/builders/sandboxes/" + name);
      });
      // The file went to the pod the controller bound.
      assertThat(cluster.controller.hostOf(name).attachedApp()).contains("shop");
      sandbox.close();
    }
  }

  @Test
  void appIdsThatAreNoLabelValuesAreHashed() {
    assertThat(KubernetesSandboxProvider.labelValue("shop-2.v1")).isEqualTo("shop-2.v1");
    assertThat(KubernetesSandboxProvider.labelValue("Ünïcode app/../x")).matches("h-[0-9a-f]{40}");
    assertThat(KubernetesSandboxProvider.labelValue("a".repeat(64))).matches("h-[0-9a-f]{40}");
    assertThat(KubernetesSandboxProvider.labelValue("-leading")).matches("h-[0-9a-f]{40}");
    assertThat(KubernetesSandboxProvider.claimName("a")).isNotEqualTo(KubernetesSandboxProvider.claimName("b"))
        .matches("cb-[0-9a-f]{24}");
  }

  private static SimulatedCluster.Recorded only(List<SimulatedCluster.Recorded> requests, String method, String path) {
    List<SimulatedCluster.Recorded> hits = requests.stream()
        .filter(r -> r.fromProvider() && r.method().equals(method) && r.path().split("\\?")[0].equals(path)).toList();
    assertThat(hits).as(method + " " + path + " in " + requests.stream().map(r -> r.method() + " " + r.path()).toList())
        .hasSize(1);
    return hits.get(0);
  }

  private static Set<String> fields(JsonNode node) {
    Set<String> out = new TreeSet<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  private static List<SimulatedCluster.Recorded> drain(SimulatedCluster cluster) {
    return cluster.dispatcher.drain();
  }
}
