package io.chatbuilder.core;

import io.chatbuilder.core.sandbox.SandboxPaths;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An app's id, and the one rule every module applies to it: 1 to {@value #MAX_LENGTH} characters,
 * one or more segments of letters, digits, {@code _} and {@code -} (each starting with a letter or
 * digit) joined by single dots — so a host can use composite keys such as {@code acme.shop} or
 * {@code tenant-42.app-7} for "tenant/app". Not a Windows device name ({@code con}, {@code nul.x}).
 *
 * <p>The rule keeps an id safe, unchanged, wherever it is used: as one directory name (no
 * {@code /}, no {@code ..}, no leading dot), in a URL path segment and a JDBC column, and as a
 * Kubernetes label value when it is at most 63 characters. Case is significant.
 */
public record AppId(String value) {
  /** The longest id accepted. */
  public static final int MAX_LENGTH = 128;

  private static final Pattern RULE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9][A-Za-z0-9_-]*)*");

  public AppId {
    check(value);
  }

  /** The id {@code value}, checked. */
  public static AppId of(String value) {
    return new AppId(value);
  }

  /**
   * Returns {@code appId} if it follows the rule.
   *
   * @throws InvalidArgumentException saying why it does not
   */
  public static String check(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    if (appId.length() > MAX_LENGTH) {
      throw new InvalidArgumentException("invalid app id '" + printable(appId.substring(0, 40)) + "…': it has "
          + appId.length() + " characters, at most " + MAX_LENGTH + " are allowed");
    }
    if (!RULE.matcher(appId).matches()) {
      throw new InvalidArgumentException("invalid app id '" + printable(appId) + "': use 1-" + MAX_LENGTH
          + " letters, digits, '_' or '-', with single dots between parts (such as tenant.app), each part"
          + " starting with a letter or digit");
    }
    try {
      SandboxPaths.normalize(appId);
    } catch (PathRefusedException e) {
      throw new InvalidArgumentException("invalid app id '" + appId + "': " + e.getMessage());
    }
    return appId;
  }

  /** Whether {@code appId} follows the rule. */
  public static boolean isValid(String appId) {
    try {
      check(appId);
      return true;
    } catch (InvalidArgumentException | NullPointerException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return value;
  }

  private static String printable(String s) {
    return s.replace("\n", "\\n").replace("\r", "\\r");
  }
}
