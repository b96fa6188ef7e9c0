package io.pgpubsub.web;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;

/**
 * Finds the user of a request. The default is {@link HttpServletRequest#getUserPrincipal()}, which container
 * security and Spring Security (through its request wrapper) both fill.
 */
@FunctionalInterface
public interface PrincipalResolver {

  Principal principal(HttpServletRequest request);
}
