package io.chatbuilder.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxTemplate;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxWarmPool;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example manifests under {@code deploy/} read into the typed models (so they use the field
 * names the provider and the upstream types use), fit together, and the Role grants every request
 * the provider makes in a claim / exhaustion / release cycle, and nothing about pods.
 */
class DeployManifestTest {
  private static final Path DEPLOY = Path.of("deploy");
  private static final Pattern RESOURCE_PATH = Pattern.compile(
      "^/(?:api/v1|apis/([^/]+)/[^/]+)/namespaces/[^/]+/([^/?]+)(/[^/?]+)?(/status)?(\\?.*)?$");

  @TempDir Path dir;

  @Test
  void templateAndPoolReadIntoTheTypedModelsAndFitTogether() throws Exception {
    SandboxTemplate template = read("sandbox-template.yaml", SandboxTemplate.class);
    assertThat(template.getApiVersion()).isEqualTo("extensions.agents.x-k8s.io/v1alpha1");
    assertThat(template.getKind()).isEqualTo("SandboxTemplate");
    assertThat(template.getSpec().podTemplate().spec().getAutomountServiceAccountToken()).isFalse();
    Container host = template.getSpec().podTemplate().spec().getContainers().get(0);
    assertThat(host.getPorts()).extracting(p -> p.getContainerPort()).containsExactly(8480, 8481, 8482);
    assertThat(host.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/var/run/chatbuilder/bootstrap"));
    assertThat(template.getSpec().networkPolicy()).containsKeys("ingress", "egress");

    SandboxWarmPool pool = read("warm-pool.yaml", SandboxWarmPool.class);
    assertThat(pool.getApiVersion()).isEqualTo("extensions.agents.x-k8s.io/v1alpha1");
    assertThat(pool.getSpec().sandboxTemplateRef().name()).isEqualTo(template.getMetadata().getName());
    assertThat(pool.getSpec().replicas()).isPositive();
    assertThat(pool.getMetadata().getNamespace()).isEqualTo(template.getMetadata().getNamespace());

    String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"), StandardCharsets.UTF_8);
    assertThat(dockerfile).contains("bubblewrap", "node:20", "openjdk-17", SandboxHostMain.class.getName(), "EXPOSE 8480 8481 8482");
  }

  @Test
  void theRoleGrantsEveryRequestTheProviderMakes() throws Exception {
    SimulatedCluster.requireIsolation(dir);
    Role role;
    try (InputStream in = Files.newInputStream(DEPLOY.resolve("rbac.yaml"))) {
      List<HasMetadata> docs = Serialization.unmarshal(in);
      role = docs.stream().filter(d -> d instanceof Role).map(d -> (Role) d).findFirst().orElseThrow();
    }
    Set<String> used = new TreeSet<>();
    try (SimulatedCluster cluster = new SimulatedCluster(dir, 1)) {
      KubernetesSandboxProvider provider = cluster.start(cluster.provider("host-a").readyTimeout(Duration.ofSeconds(2)));
      Sandbox one = provider.open("one");
      one.write("a.txt", "a".getBytes(StandardCharsets.UTF_8));
      one.fenced(1).write("b.txt", "b".getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(() -> provider.open("two")).isInstanceOf(TimeoutException.class);
      one.close();
      for (SimulatedCluster.Recorded r : cluster.dispatcher.drain()) {
        if (r.fromProvider()) {
          used.add(permission(r));
        }
      }
    }
    assertThat(used).contains("extensions.agents.x-k8s.io/sandboxclaims:create", "extensions.agents.x-k8s.io/sandboxclaims:watch",
        "extensions.agents.x-k8s.io/sandboxclaims:patch", "extensions.agents.x-k8s.io/sandboxclaims:delete",
        "extensions.agents.x-k8s.io/sandboxwarmpools:get", "agents.x-k8s.io/sandboxes:get", "/secrets:create");
    for (String permission : used) {
      String[] p = permission.split(":");
      String group = p[0].substring(0, p[0].indexOf('/'));
      String resource = p[0].substring(p[0].indexOf('/') + 1);
      assertThat(role.getRules()).as(permission + " in the Role").anySatisfy(rule -> assertThat(grants(rule, group, resource, p[1])).isTrue());
    }
    assertThat(role.getRules()).noneSatisfy(rule -> assertThat(rule.getResources()).contains("pods"));
  }

  private static boolean grants(PolicyRule rule, String group, String resource, String verb) {
    return rule.getApiGroups().contains(group) && rule.getResources().contains(resource) && rule.getVerbs().contains(verb);
  }

  /** {@code group/resource:verb} of one request. */
  private static String permission(SimulatedCluster.Recorded r) {
    Matcher m = RESOURCE_PATH.matcher(r.path());
    assertThat(m.matches()).as(r.path()).isTrue();
    String group = m.group(1) == null ? "" : m.group(1);
    String resource = m.group(2) + (m.group(4) != null ? "/status" : "");
    boolean named = m.group(3) != null;
    String query = m.group(5) == null ? "" : m.group(5);
    String verb = switch (r.method()) {
      case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> "delete";
      default -> r.method();
    };
    return group + "/" + resource + ":" + verb;
  }

  private static <T> T read(String file, Class<T> type) throws Exception {
    try (InputStream in = Files.newInputStream(DEPLOY.resolve(file))) {
      return Serialization.unmarshal(in, type);
    }
  }
}
