package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.testing.ScriptedModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The offline demo model: a {@link ScriptedModel} that answers from the conversation alone, so the
 * studio works with no API key and no network. It builds a small counter app step by step (list the
 * files, write {@code index.html}, {@code style.css}, {@code src/main.js}) and answers a few
 * follow-ups deterministically: "make it dark", "make it light", "add a reset button", "rename it to
 * …". Anything else rebuilds the starter app.
 *
 * <p>The app uses relative asset paths, so it runs both as static files and under Vite.
 */
final class DemoModel implements ModelClient {
  static final String NAME = "offline-demo";
  static final String TITLE = "Counter";

  private static final JsonCodec JSON = new JsonCodec();

  private final ScriptedModel scripted;

  DemoModel(Duration chunkDelay) {
    this.scripted = ScriptedModel.responding(request -> Optional.of(nextTurn(request, chunkDelay)));
  }

  DemoModel() {
    this(Duration.ofMillis(15));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ModelResponse stream(ModelRequest request, ModelStreamListener listener, Cancellation cancellation) {
    return scripted.stream(request, listener, cancellation);
  }

  /** One step of a plan: what the assistant says and the tool call it makes, if any. */
  private record Step(String text, String tool, ObjectNode arguments) {
    static Step say(String text) {
      return new Step(text, null, null);
    }
  }

  private static ScriptedModel.Turn nextTurn(ModelRequest request, Duration chunkDelay) {
    List<ChatMessage> messages = request.messages();
    int lastUser = -1;
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i) instanceof ChatMessage.User) {
        lastUser = i;
        break;
      }
    }
    String ask = lastUser < 0 ? "" : ((ChatMessage.User) messages.get(lastUser)).text();
    int done = 0;
    for (int i = lastUser + 1; i < messages.size(); i++) {
      if (messages.get(i) instanceof ChatMessage.Assistant a && !a.toolCalls().isEmpty()) {
        done++;
      }
    }
    List<Step> plan = plan(ask);
    Step step = plan.get(Math.min(done, plan.size() - 1));
    ScriptedModel.TurnBuilder turn = ScriptedModel.Turn.builder().chunkDelay(chunkDelay).usage(0, 0);
    for (String word : step.text().split("(?<= )")) {
      turn.text(word);
    }
    if (step.tool() != null) {
      turn.toolCall("demo_" + done, step.tool(), step.arguments().toString());
    }
    return turn.build();
  }

  static List<Step> plan(String ask) {
    String a = ask.toLowerCase(Locale.ROOT);
    List<Step> steps = new ArrayList<>();
    if (a.contains("dark")) {
      steps.add(new Step("Switching the app to a dark theme. Reading the stylesheet first. ", "read_file", path("style.css")));
      steps.add(new Step("Writing the dark stylesheet. ", "write_file", write("style.css", css(true))));
      steps.add(Step.say("Done: the app now uses a dark theme. Say \"make it light\" to go back (or press Undo)."));
    } else if (a.contains("light")) {
      steps.add(new Step("Switching back to the light theme. ", "write_file", write("style.css", css(false))));
      steps.add(Step.say("Done: the light theme is back."));
    } else if (a.contains("reset")) {
      steps.add(new Step("Adding a reset button to the markup. ", "write_file", write("index.html", html(TITLE, true))));
      steps.add(new Step("Wiring it up in the script. ", "write_file", write("src/main.js", script(true))));
      steps.add(Step.say("Done: a Reset button now sets the counter back to zero."));
    } else if (a.contains("rename") || a.contains("title")) {
      String title = titleFrom(ask);
      steps.add(new Step("Renaming the app to \"" + title + "\". ", "write_file", write("index.html", html(title, false))));
      steps.add(Step.say("Done: the page is now titled \"" + title + "\"."));
    } else {
      steps.add(new Step("This is the offline demo model. Let me look at the app's files first. ", "list_files", JSON.objectNode()));
      steps.add(new Step("Writing the page markup. ", "write_file", write("index.html", html(TITLE, false))));
      steps.add(new Step("Adding a stylesheet. ", "write_file", write("style.css", css(false))));
      steps.add(new Step("Adding the counter logic. ", "write_file", write("src/main.js", script(false))));
      steps.add(Step.say("Done: a small counter app with a + button. Try \"make it dark\", \"add a reset button\" "
          + "or \"rename it to Tally\"."));
    }
    return steps;
  }

  private static String titleFrom(String ask) {
    String lower = ask.toLowerCase(Locale.ROOT);
    int at = lower.lastIndexOf(" to ");
    String title = at >= 0 ? ask.substring(at + 4) : "My app";
    title = title.replaceAll("[^\\p{L}\\p{N} _-]", "").strip();
    if (title.isEmpty()) {
      title = "My app";
    }
    return title.length() > 40 ? title.substring(0, 40) : title;
  }

  private static ObjectNode path(String path) {
    return JSON.objectNode().put("path", path);
  }

  private static ObjectNode write(String path, String content) {
    return JSON.objectNode().put("path", path).put("content", content);
  }

  static String html(String title, boolean reset) {
    return "<!doctype html>\n"
        + "<html lang=\"en\">\n"
        + "  <head>\n"
        + "    <meta charset=\"UTF-8\" />\n"
        + "    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\" />\n"
        + "    <title>" + title + "</title>\n"
        + "    <link rel=\"stylesheet\" href=\"./style.css\" />\n"
        + "  </head>\n"
        + "  <body>\n"
        + "    <main>\n"
        + "      <h1 id=\"title\">" + title + "</h1>\n"
        + "      <p class=\"count\" id=\"count\">0</p>\n"
        + "      <button id=\"increment\">+1</button>\n"
        + (reset ? "      <button id=\"reset\">Reset</button>\n" : "")
        + "    </main>\n"
        + "    <script type=\"module\" src=\"./src/main.js\"></script>\n"
        + "  </body>\n"
        + "</html>\n";
  }

  static String css(boolean dark) {
    String background = dark ? "#111827" : "#f8fafc";
    String text = dark ? "#f9fafb" : "#0f172a";
    String accent = dark ? "#a78bfa" : "#2563eb";
    return "body {\n"
        + "  margin: 0;\n"
        + "  font-family: system-ui, sans-serif;\n"
        + "  background: " + background + ";\n"
        + "  color: " + text + ";\n"
        + "}\n"
        + "main {\n"
        + "  max-width: 20rem;\n"
        + "  margin: 4rem auto;\n"
        + "  text-align: center;\n"
        + "}\n"
        + ".count {\n"
        + "  font-size: 4rem;\n"
        + "  margin: 1rem 0;\n"
        + "}\n"
        + "button {\n"
        + "  font-size: 1.25rem;\n"
        + "  padding: 0.5rem 1.25rem;\n"
        + "  margin: 0 0.25rem;\n"
        + "  border: 0;\n"
        + "  border-radius: 0.5rem;\n"
        + "  color: white;\n"
        + "  background: " + accent + ";\n"
        + "}\n";
  }

  static String script(boolean reset) {
    return "const count = document.querySelector('#count');\n"
        + "let value = 0;\n"
        + "const render = () => { count.textContent = String(value); };\n"
        + "document.querySelector('#increment').addEventListener('click', () => { value += 1; render(); });\n"
        + (reset ? "document.querySelector('#reset').addEventListener('click', () => { value = 0; render(); });\n" : "")
        + "render();\n";
  }
}
