package io.chatbuilder.core.access;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import java.util.Locale;

/** The {@link AppAccessPolicy} denied a principal an action on an app; nothing was touched. */
public class AccessDeniedException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public AccessDeniedException(AppPrincipal principal, String appId, AppAction action) {
    super(ErrorCode.UNAUTHORIZED,
        principal.name() + " may not " + action.name().toLowerCase(Locale.ROOT).replace('_', ' ') + " app " + appId);
  }
}
