package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.testkit.NodeProject;
import io.chatbuilder.testkit.NodeProject.Result;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The studio UI against the typed contracts: {@code studio.js} ({@code // @ts-check}) is checked by
 * the TypeScript client's pinned {@code tsc} against the client's source and generated contracts and
 * the studio-only types generated from its {@code studio-openapi.json} ({@code examples/tsconfig.json}),
 * so an event field or endpoint the contracts do not have fails this build; the client module the
 * studio serves ({@code ui/client/}) is exactly what the client compiles to ({@code npm run
 * build:studio} in {@code clients/typescript} rewrites it), and {@code src/ui-types/} is what the
 * client's generator makes of {@code studio-openapi.json} ({@code npm run generate:studio}). Finds
 * and prepares Node the way spring-boot-autoconfigure's {@code TypeScriptClientTest} does: {@code npm
 * ci} from the client's lockfile when its {@code node_modules} is missing; without Node it skips
 * with a message, under {@code CI=true} it fails.
 */
class StudioUiContractsTest {
  private static final String UI = "src/main/resources/io/chatbuilder/examples/studio/ui";

  private static Path examples;
  private static NodeProject client;

  @BeforeAll
  static void node() throws Exception {
    client = NodeProject.prepare("clients/typescript", Path.of("target", "studio-ui-contracts.log"),
        "to type-check the studio UI against the TypeScript client", "node_modules/typescript/package.json");
    examples = client.directory().getParent().getParent().resolve("examples");
  }

  @Test
  void theStudioUiTypeChecksAgainstTheClientsContracts() throws Exception {
    Result r = tsc(examples.resolve("tsconfig.json"));
    assertThat(r.exit()).as("tsc on studio.js:\n" + r.output()).isZero();
    String ui = Files.readString(examples.resolve(UI + "/studio.js"));
    assertThat(ui).startsWith("// @ts-check").contains("from '@chatbuilder/client'")
        .as("the UI reaches the API through the client only").doesNotContain("fetch(`/admin/apps", "EventSource(");
  }

  @Test
  void fieldsAndEndpointsTheContractsLackFailTheCheck() throws Exception {
    String ui = Files.readString(examples.resolve(UI + "/studio.js"));
    // An event field, an endpoint, a field of an answer, an app event field and a field of the
    // studio-only answer that do not exist.
    record Mutation(String line, String changed, String missing) {}
    List<Mutation> mutations = List.of(
        new Mutation("`Run completed in ${e.steps} step", "`Run completed in ${e.step_count} step", "step_count"),
        new Mutation("const data = await client.listFiles(app(), id);", "const data = await client.listFilez(app(), id);",
            "listFilez"),
        new Mutation("$('undo-btn').disabled = !data.can_undo;", "$('undo-btn').disabled = !data.undoable;", "undoable"),
        new Mutation("if (e.state === 'running') refreshPreviewSoon();", "if (e.draft === 'running') refreshPreviewSoon();",
            "draft"),
        new Mutation("$('demo-banner').hidden = !info.demo;", "$('demo-banner').hidden = !info.demo_mode;", "demo_mode"));
    // One changed copy with all of them (one tsc run): each must be reported on its own.
    String mutant = ui;
    for (Mutation m : mutations) {
      assertThat(ui).as("studio.js still has the line this test changes").contains(m.line());
      mutant = mutant.replace(m.line(), m.changed());
    }
    Path dir = Files.createDirectories(examples.resolve("target/ui-contracts-mutant"));
    Files.writeString(dir.resolve("studio.js"), mutant);
    Files.copy(examples.resolve(UI + "/highlight.js"), dir.resolve("highlight.js"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path config = dir.resolve("tsconfig.json");
    Files.writeString(config, "{ \"extends\": \"../../tsconfig.json\", \"files\": [\"studio.js\"] }\n");
    Result r = tsc(config);
    assertThat(r.exit()).as("tsc on the changed studio.js:\n" + r.output()).isNotZero();
    List<String> errors = r.output().lines().filter(l -> l.contains("error TS")).toList();
    assertThat(errors).as(r.output()).hasSize(mutations.size())
        .allSatisfy(l -> assertThat(l).containsPattern("error TS(2339|2551)"));
    for (Mutation m : mutations) {
      assertThat(errors).as(m.changed()).anySatisfy(l -> assertThat(l).contains("Property '" + m.missing() + "' does not exist"));
    }
  }

  @Test
  void theServedClientModuleIsTheCompiledClient() throws Exception {
    Path out = examples.resolve("target/ui-contracts-client");
    NodeProject.deleteTree(out);
    Result r = client.run(List.of("node", "node_modules/typescript/bin/tsc", "-p", "tsconfig.browser.json",
        "--outDir", out.toString()), Map.of());
    assertThat(r.exit()).as(r.output()).isZero();
    Map<String, String> compiled = files(out);
    Map<String, String> served = files(examples.resolve(UI + "/client"));
    assertThat(compiled).as("compiled client").containsKeys("index.js", "client.js", "sse.js", "events.js");
    assertThat(served.keySet()).as("files of " + UI + "/client (run `npm run build:studio` in clients/typescript)")
        .isEqualTo(compiled.keySet());
    for (String name : compiled.keySet()) {
      assertThat(served.get(name)).as(UI + "/client/" + name + " is out of date: run `npm run build:studio` in "
          + "clients/typescript and commit it").isEqualTo(compiled.get(name));
    }
  }

  @Test
  void theStudioOnlyTypesAreThoseOfItsOpenApiAddition() throws Exception {
    // The client's generator, compiled with its scripts, on the studio's studio-openapi.json.
    Result build = client.run(List.of("node", "node_modules/typescript/bin/tsc", "-p", "."), Map.of());
    assertThat(build.exit()).as(build.output()).isZero();
    Result generated = client.run(List.of("node", "dist/scripts/generate.js", "--studio", "--stdout"), Map.of());
    assertThat(generated.exit()).as(generated.output()).isZero();
    assertThat(generated.output()).contains("export interface StudioInfo");
    assertThat(Files.readString(examples.resolve("src/ui-types/studio-contracts.ts")))
        .as("src/ui-types/studio-contracts.ts is out of date: run `npm run generate:studio` in clients/typescript and commit it")
        .isEqualTo(generated.output());
  }

  // ------------------------------------------------------------------ Node

  private static Result tsc(Path config) throws Exception {
    return client.run(List.of("node", "node_modules/typescript/bin/tsc", "-p", config.toString(), "--pretty", "false"), Map.of());
  }

  private static Map<String, String> files(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString().replace(File.separatorChar, '/'), Files.readString(p));
      }
    }
    return out;
  }
}
