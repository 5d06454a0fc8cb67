package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.testkit.SandboxContract;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox contract with every search answered by ripgrep: each {@code search} runs twice, the
 * first reading the files in-process (which makes their text marks), the second, whose result the
 * contract sees, by rg (checked). The search clock runs an hour ahead so fresh files are past the
 * racy window; the change tracker keeps the real clock, so the contract's tracking cases are unchanged.
 */
class LocalSandboxRipgrepContractTest extends SandboxContract {
  private static final long MAX = 64 * 1024;

  @TempDir Path dir;

  @BeforeEach
  void needsRipgrep() {
    RipgrepSupport.require();
  }

  @Override
  protected Sandbox createSandbox() {
    LocalSandbox real = LocalSandbox.builder(dir.resolve("app")).maxFileBytes(MAX).unisolated()
        .searchEngine(SearchEngine.RIPGREP)
        .searchClockNanos(() -> System.currentTimeMillis() * 1_000_000L + SearchEnginesAgreeTest.AHEAD_NANOS).build();
    return (Sandbox) Proxy.newProxyInstance(Sandbox.class.getClassLoader(), new Class<?>[] {Sandbox.class},
        (proxy, method, args) -> {
          try {
            if (method.getName().equals("search") && args != null && args.length == 1 && args[0] instanceof SearchQuery q) {
              real.search(q);
              long answered = real.ripgrepSearches();
              SearchResult result = real.search(q);
              if (RipgrepSupport.hasLiteral(q)) {
                assertThat(real.ripgrepSearches()).as("rg answered %s", q).isEqualTo(answered + 1);
              }
              return result;
            }
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Override
  protected long maxFileBytes() {
    return MAX;
  }
}
