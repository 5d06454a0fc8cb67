package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.access.AccessDeniedException;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.core.tool.ToolResult;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AppHandleTest {
  private static final JsonCodec JSON = new JsonCodec();
  private static final AppPrincipal ALICE = AppPrincipal.of("alice", Set.of("ROLE_USER"));
  private static final AppPrincipal BOB = AppPrincipal.of("bob", Set.of("ROLE_USER"));

  /** Alice owns apps named alice-*; nobody else may do anything with them. */
  private static final AppAccessPolicy OWNER = (principal, appId, action) -> appId.startsWith(principal.name() + "-");

  /** A host tool that records who each call was for. */
  private static final class WhoAmI implements Tool {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public ToolDefinition definition() {
      ObjectNode schema = JSON.objectNode().put("type", "object");
      schema.putObject("properties");
      return new ToolDefinition("who_am_i", "Says who the run is for.", schema);
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode arguments) {
      seen.add(context.principal().name() + " " + context.attributes());
      return ToolResult.of("you are " + context.principal().name(), "who_am_i");
    }
  }

  private static ScriptedModel callingWhoAmI(String name) {
    return ScriptedModel.builder().name(name)
        .turn(t -> t.toolCall("who_am_i", "{}"))
        .turn(t -> t.toolCall("write_file", "{\"path\":\"index.html\",\"content\":\"<h1>hi</h1>\"}"))
        .turn(t -> t.text("Done."))
        .build();
  }

  private static ChatBuilder facade(ScriptedModel model, WhoAmI tool) {
    return ChatBuilder.builder().model(model).tool(tool).accessPolicy(OWNER)
        .sandboxes(appId -> InMemorySandbox.builder(appId).build()).build();
  }

  @Test
  void aDeniedPrincipalStartsNothingAndLeavesNoTrace() throws Exception {
    WhoAmI tool = new WhoAmI();
    ScriptedModel model = callingWhoAmI("facade-model");
    try (ChatBuilder builder = facade(model, tool)) {
      builder.initialize("alice-shop");
      AppHandle asBob = builder.app("alice-shop", BOB);
      assertThatThrownBy(() -> asBob.chat("delete everything")).isInstanceOf(AccessDeniedException.class)
          .hasMessage("bob may not chat app alice-shop")
          .satisfies(e -> assertThat(((AccessDeniedException) e).code()).isEqualTo(ErrorCode.UNAUTHORIZED));
      assertThatThrownBy(() -> builder.chat("alice-shop", RunRequest.builder("sneaky").principal(BOB).build()))
          .isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(asBob::undo).isInstanceOf(AccessDeniedException.class).hasMessage("bob may not undo app alice-shop");
      assertThatThrownBy(() -> asBob.revertFile("x", "index.html")).isInstanceOf(AccessDeniedException.class)
          .hasMessage("bob may not revert file app alice-shop");
      assertThatThrownBy(() -> asBob.checkpoints(10)).isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(() -> asBob.publish("x", io.chatbuilder.core.runtime.StatusListener.NONE)).isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(() -> builder.app("alice-shop", ALICE).fork(builder.head("alice-shop").orElseThrow().id(), "bob-copy"))
          .as("a fork needs CREATE on the new app too").isInstanceOf(AccessDeniedException.class);
      assertThat(model.requests()).as("no model request").isEmpty();
      assertThat(builder.runIds("alice-shop", 10)).as("no run").isEmpty();
      assertThat(builder.checkpoints("alice-shop", 10)).as("only the initial checkpoint").hasSize(1);
      assertThat(builder.appEvents("alice-shop", 0)).as("no app event beyond the initial checkpoint")
          .allSatisfy(e -> assertThat(e.type()).isNotEqualTo("run_started"));
      assertThat(builder.head("bob-copy")).isEmpty();
    }
  }

  @Test
  void thePrincipalAndAttributesReachToolsAndRunStarted() throws Exception {
    WhoAmI tool = new WhoAmI();
    ScriptedModel model = callingWhoAmI("facade-model");
    try (ChatBuilder builder = facade(model, tool)) {
      AppHandle app = builder.app("alice-shop", ALICE);
      RunHandle run = app.chat(RunRequest.builder("make a page").attribute("tenant", "acme").attribute("request_id", "r-17").build());
      RunResult result = run.completion().get(30, TimeUnit.SECONDS);
      assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(tool.seen).containsExactly("alice {request_id=r-17, tenant=acme}");
      Event.RunStarted started = (Event.RunStarted) builder.events("alice-shop", run.runId(), 0).get(0);
      assertThat(started.principal()).contains("alice");
      assertThat(started.attributes()).containsExactlyInAnyOrderEntriesOf(Map.of("tenant", "acme", "request_id", "r-17"));
      String json = JSON.toJson(started);
      assertThat(json).contains("\"principal\":\"alice\"").contains("\"attributes\":{\"request_id\":\"r-17\",\"tenant\":\"acme\"}");
      assertThat(JSON.eventFromJson(json)).isEqualTo(started);
      assertThat(app.undoRedoState().canUndo()).isTrue();
      assertThat(app.undo()).isNotNull();
    }
  }

  @Test
  void underADenyAllPolicyEveryPrincipalIsRefusedAndTheHostsOwnCallsAreNotAsked() throws Exception {
    WhoAmI tool = new WhoAmI();
    try (ChatBuilder builder = ChatBuilder.builder().model(callingWhoAmI("m")).tool(tool)
        .accessPolicy(AppAccessPolicy.denyAll()).sandboxes(appId -> InMemorySandbox.builder(appId).build()).build()) {
      builder.initialize("shop");
      // A run on someone's behalf, anonymous included, is asked and refused before anything exists.
      assertThatThrownBy(() -> builder.chat("shop", RunRequest.of("as nobody"))).isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(() -> builder.app("shop", AppPrincipal.ANONYMOUS).chat("hi")).isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(() -> builder.app("shop", ALICE).undo()).isInstanceOf(AccessDeniedException.class);
      assertThat(builder.runIds("shop", 10)).isEmpty();
      // The host's own calls take no principal and are not asked.
      RunHandle run = builder.chat("shop", "the host's own run");
      assertThat(run.completion().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(builder.undo("shop")).isNotNull();
    }
  }

  @Test
  void anAnonymousRunAndAnOldRunStartedCarryNoPrincipal() throws Exception {
    WhoAmI tool = new WhoAmI();
    try (ChatBuilder builder = ChatBuilder.builder().model(callingWhoAmI("m")).tool(tool)
        .sandboxes(appId -> InMemorySandbox.builder(appId).build()).build()) {
      RunHandle run = builder.chat("shop", "make a page");
      run.completion().get(30, TimeUnit.SECONDS);
      assertThat(tool.seen).containsExactly("anonymous {}");
      Event.RunStarted started = (Event.RunStarted) builder.events("shop", run.runId(), 0).get(0);
      assertThat(started.principal()).isEmpty();
      assertThat(JSON.toJson(started)).doesNotContain("principal").doesNotContain("attributes");
    }
    // As written before runs had principals: still decodes.
    Event old = JSON.eventFromJson("{\"type\":\"run_started\",\"app_id\":\"a\",\"run_id\":\"run_1\",\"seq\":1,"
        + "\"at\":\"2026-01-01T00:00:00Z\",\"message\":\"hi\",\"model\":\"m\"}");
    assertThat(((Event.RunStarted) old).principal()).isEmpty();
    assertThat(((Event.RunStarted) old).attributes()).isEmpty();
    assertThatThrownBy(() -> JSON.eventFromJson("{\"type\":\"run_started\",\"app_id\":\"a\",\"run_id\":\"run_1\","
        + "\"seq\":1,\"at\":\"2026-01-01T00:00:00Z\",\"message\":\"hi\",\"model\":\"m\",\"attributes\":{\"n\":1}}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("attributes.n");
  }

  @Test
  void aModelOverrideAnswersThatRunOnly() throws Exception {
    ScriptedModel facadeModel = callingWhoAmI("facade-model");
    ScriptedModel override = callingWhoAmI("override-model");
    WhoAmI tool = new WhoAmI();
    try (ChatBuilder builder = facade(facadeModel, tool)) {
      RunHandle run = builder.app("alice-a", ALICE).chat(RunRequest.builder("use the other one").model(override).build());
      run.completion().get(30, TimeUnit.SECONDS);
      assertThat(override.requests()).hasSize(3);
      assertThat(facadeModel.requests()).isEmpty();
      assertThat(((Event.RunStarted) builder.events("alice-a", run.runId(), 0).get(0)).model()).isEqualTo("override-model");
      builder.app("alice-a", ALICE).chat("now the usual one").completion().get(30, TimeUnit.SECONDS);
      assertThat(facadeModel.requests()).hasSize(3);
      assertThat(override.requests()).hasSize(3);
    }
  }

  @Test
  void attributesAreCheckedWhenTheRequestIsBuilt() {
    assertThatThrownBy(() -> RunRequest.builder("x").attribute("bad name", "v").build())
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("bad name");
    assertThatThrownBy(() -> RunRequest.builder("x").attribute("n", "v".repeat(RunRequest.MAX_ATTRIBUTE_CHARS + 1)).build())
        .isInstanceOf(InvalidArgumentException.class);
    RunRequest.Builder many = RunRequest.builder("x");
    for (int i = 0; i <= RunRequest.MAX_ATTRIBUTES; i++) {
      many.attribute("a" + i, "v");
    }
    assertThatThrownBy(many::build).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> RunRequest.builder(" ").build()).isInstanceOf(InvalidArgumentException.class);
  }
}
