package io.pgpubsub.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpHandler;
import io.pgpubsub.ChannelControl;
import io.pgpubsub.ChannelStatus;
import io.pgpubsub.ChannelStatusReader;
import io.pgpubsub.DeadLetters;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations dashboard: one small web application (a page, its script, the Chart.js webjar and a JSON API)
 * that shows every channel's flow, lag, listeners and dead letters, and retries or purges dead letters.
 *
 * <p>It is independent of any server: serve it alone with {@link DashboardServer}, mount it in a JDK {@code
 * HttpServer} with {@link #httpHandler()}, or in a servlet container with {@link DashboardServlet}. It reads
 * and writes the pgpubsub tables over JDBC through the given DataSource, with bind parameters only.
 *
 * <p>Writes (retry, purge) are POST requests that need the CSRF token the page carries and, unless {@link
 * Builder#allowWritesWithoutToken()} says the host application guards the path itself, the write token in
 * the {@code X-Pgpubsub-Token} header. Without a token the dashboard is read-only.
 */
public final class Dashboard {

  private static final Logger log = LoggerFactory.getLogger(Dashboard.class);

  static final String TOKEN_HEADER = "x-pgpubsub-token";
  static final String CSRF_HEADER = "x-csrf-token";
  private static final Pattern DEAD_ID = Pattern.compile("api/(dead|notification)/([0-9]{1,18})(/payload)?");
  private static final int MAX_SELECTION = 1000;
  /** Listeners whose heartbeat stopped are listed (as gone) for this long, then dropped from the page. */
  static final Duration GONE_SHOWN_FOR = Duration.ofMinutes(15);

  final DataSource dataSource;
  final String schema;
  private final List<String> configuredChannels;
  private final boolean readOnly;
  private final byte[] token;
  private final byte[] readToken;
  private final Set<String> allowedHosts;
  private final boolean anyHost;
  private final Duration heartbeatInterval;
  private final Duration lagThreshold;
  private final HistorySampler sampler;
  private final AuditLog audit;
  private final boolean writesWithoutToken;
  private final Duration refresh;
  private final int maxPayloadChars;
  private final ChannelStatusReader statusReader;
  private final DeadLetters deadLetters;
  private final DeadLetterQueries queries;
  private final Csrf csrf = new Csrf();
  private final ObjectMapper json = new ObjectMapper();
  private final String chartJsPath;

  private Dashboard(Builder b) {
    this.dataSource = Objects.requireNonNull(b.dataSource, "dataSource");
    io.pgpubsub.internal.SchemaNames.validate(b.schema); // a name PostgreSQL accepts (quoted in SQL as needed)
    this.schema = b.schema;
    this.configuredChannels = List.copyOf(b.channels);
    this.readOnly = b.readOnly;
    this.token = b.token == null ? null : b.token.getBytes(StandardCharsets.UTF_8);
    this.readToken = b.readToken == null ? null : b.readToken.getBytes(StandardCharsets.UTF_8);
    this.allowedHosts = Set.copyOf(b.allowedHosts);
    this.anyHost = b.allowedHosts.contains("*");
    this.heartbeatInterval = b.heartbeatInterval;
    this.lagThreshold = b.lagThreshold;
    this.sampler =
        b.historyInterval == null
            ? null
            : new HistorySampler(dataSource, schema, b.historyInterval, b.heartbeatInterval, b.historyRetention);
    this.writesWithoutToken = b.writesWithoutToken;
    this.refresh = b.refresh;
    this.maxPayloadChars = b.maxPayloadChars;
    this.statusReader = ChannelStatusReader.of(dataSource, schema);
    this.deadLetters = DeadLetters.of(dataSource, schema);
    this.queries = new DeadLetterQueries(dataSource, schema);
    this.audit = new AuditLog(dataSource, schema);
    this.chartJsPath = "META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.js";
  }

  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** A handler for the JDK's HTTP server; mount it with {@code server.createContext("/pgpubsub", handler)}. */
  public HttpHandler httpHandler() {
    return new DashboardHttpHandler(this);
  }

  /**
   * Takes a history sample when one is due (see {@link Builder#historyInterval}): {@link DashboardServer}
   * calls it on its own thread every interval, and every page refresh calls it too; an application that
   * mounts the dashboard may call it from its scheduler so that history is kept while no page is open.
   * Several dashboards may call it: one sample per interval is written (an advisory lock decides who).
   */
  public void sampleHistory() {
    if (sampler != null) {
      sampler.maybeSample();
    }
  }

  /** The history sampling interval, or null when sampling is off. */
  Duration historyInterval() {
    return sampler == null ? null : sampler.interval();
  }

  HistorySampler sampler() {
    return sampler;
  }

  /** Whether write actions are refused whatever the request carries. */
  public boolean readOnly() {
    return readOnly || (token == null && !writesWithoutToken);
  }

  /** A request, relative to where the dashboard is mounted ({@code path} has no leading slash). */
  record Request(
      String method,
      String path,
      String rawQuery,
      Function<String, String> header,
      byte[] body,
      String who,
      boolean inServletContainer) {

    Request(String method, String path, String rawQuery, Function<String, String> header, byte[] body) {
      this(method, path, rawQuery, header, body, null, false);
    }
  }

  /** A response: status, content type, extra headers, body. */
  record Response(int status, String contentType, Map<String, String> headers, byte[] body) {}

  Response handle(Request r) {
    try {
      String refused = refusedHost(r);
      if (refused != null) {
        log.warn("pgpubsub dashboard: refused {} {}: {}", r.method(), r.path(), refused);
        return error(403, refused);
      }
      if (readToken != null && r.path().startsWith("api/") && !r.path().equals("api/token/verify")) {
        String given = r.header().apply(TOKEN_HEADER);
        if (!matches(readToken, given) && !matches(token, given)) {
          return error(401, "this dashboard needs its read token: enter it in the token box");
        }
      }
      if (r.method().equals("GET") || r.method().equals("HEAD")) {
        return get(r);
      }
      if (r.method().equals("POST")) {
        return post(r);
      }
      return error(405, "method " + r.method() + " is not allowed");
    } catch (BadRequest e) {
      return error(e.status, e.getMessage());
    } catch (SQLException e) {
      log.warn("pgpubsub dashboard: database request failed: {}", e.toString());
      return error(503, "database unreachable or failing: " + e.getMessage());
    } catch (RuntimeException e) {
      log.error("pgpubsub dashboard: internal error on {} {}", r.method(), r.path(), e);
      return error(500, "internal error: " + e);
    }
  }

  private Response get(Request r) throws SQLException {
    String path = r.path();
    switch (path) {
      case "":
      case "index.html":
        return page(r);
      case "assets/app.js":
        return resource("static/app.js", "text/javascript; charset=utf-8");
      case "assets/app.css":
        return resource("static/app.css", "text/css; charset=utf-8");
      case "favicon.ico":
        return favicon();
      case "assets/chart.umd.js":
        return classpathResource(chartJsPath, "text/javascript; charset=utf-8");
      case "api/overview":
        return jsonResponse(overview(Query.parse(r.rawQuery())));
      case "api/dead":
        return jsonResponse(deadList(Query.parse(r.rawQuery())));
      case "api/dead/groups":
        return jsonResponse(deadGroups(Query.parse(r.rawQuery())));
      case "api/pending":
        return jsonResponse(pendingList(Query.parse(r.rawQuery())));
      case "api/audit":
        return jsonResponse(auditList(Query.parse(r.rawQuery())));
      default:
        Matcher m = DEAD_ID.matcher(path);
        if (m.matches()) {
          long id = Long.parseLong(m.group(2));
          boolean deadOnly = m.group(1).equals("dead");
          return m.group(3) == null ? jsonResponse(detail(id, deadOnly)) : download(id, deadOnly);
        }
        return error(404, "not found: " + path);
    }
  }

  private Response post(Request r) throws SQLException {
    if (r.path().equals("api/token/verify")) {
      return verifyToken(r);
    }
    if (readOnly()) {
      return error(
          403,
          readOnly
              ? "the dashboard is read-only"
              : "writes need a token: start the dashboard with a token (--token, or Dashboard.builder().token(...))");
    }
    if (!writesWithoutToken) {
      if (!matches(token, r.header().apply(TOKEN_HEADER))) {
        return error(403, "missing or wrong write token (header X-Pgpubsub-Token)");
      }
    }
    if (!csrf.valid(r.header().apply("cookie"), r.header().apply(CSRF_HEADER))) {
      return error(403, "missing or wrong CSRF token: reload the page");
    }
    JsonNode body;
    try {
      body = json.readTree(r.body());
    } catch (IOException e) {
      throw new BadRequest(400, "the body must be JSON: " + e.getMessage());
    }
    if (body == null || !body.isObject()) {
      throw new BadRequest(400, "the body must be a JSON object");
    }
    if (r.path().equals("api/channel/pause") || r.path().equals("api/channel/resume")) {
      return pauseOrResume(r, body);
    }
    boolean retry;
    switch (r.path()) {
      case "api/dead/retry":
        retry = true;
        break;
      case "api/dead/purge":
        retry = false;
        break;
      default:
        return error(404, "not found: " + r.path());
    }
    int changed = 0;
    if (body.hasNonNull("filter") || body.hasNonNull("channel")) {
      // every dead letter the filter matches (the legacy {"channel": name} is the filter of one channel);
      // the dashboard's own SQL with bind parameters: a channel name that breaks the naming rules is fine
      Map<String, String> f = new LinkedHashMap<>();
      JsonNode node = body.hasNonNull("filter") ? body.get("filter") : body;
      if (!node.isObject()) {
        throw new BadRequest(400, "\"filter\" must be a JSON object");
      }
      for (String name : List.of("channel", "error", "group", "age", "q")) {
        if (node.hasNonNull(name)) {
          if (!node.get(name).isTextual()) {
            throw new BadRequest(400, "filter." + name + " must be a string");
          }
          f.put(name, node.get(name).asText());
        }
      }
      DeadFilter filter = DeadFilter.parse(f);
      if (filter.channel() != null) {
        knownChannel(filter.channel());
      }
      List<Long> touched = retry ? queries.retryMatching(filter) : queries.purgeMatching(filter);
      changed = touched.size();
      log.info(
          "pgpubsub dashboard: {} {} dead notifications matching {} ({})",
          retry ? "retried" : "purged",
          changed,
          filter,
          r.who());
      ObjectNode recorded = json.createObjectNode();
      f.forEach(recorded::put);
      audit.record(json, retry ? "retry" : "purge", r.who(), touched, recorded, changed);
    } else if (body.has("ids") && body.get("ids").isArray()) {
      JsonNode ids = body.get("ids");
      if (ids.size() > MAX_SELECTION) {
        throw new BadRequest(400, "at most " + MAX_SELECTION + " ids at once");
      }
      List<Long> list = new ArrayList<>();
      for (JsonNode id : ids) {
        if (!id.canConvertToLong()) {
          throw new BadRequest(400, "ids must be numbers");
        }
        list.add(id.asLong());
      }
      List<Long> touched = new ArrayList<>();
      for (long id : list) {
        if (retry ? deadLetters.retry(id) : deadLetters.purge(id)) {
          changed++;
          touched.add(id);
        }
      }
      log.info("pgpubsub dashboard: {} dead notifications {} ({})", retry ? "retried" : "purged", list, r.who());
      audit.record(json, retry ? "retry" : "purge", r.who(), touched, null, changed);
    } else {
      throw new BadRequest(400, "give \"ids\": [..] or \"filter\": {..}");
    }
    ObjectNode out = json.createObjectNode();
    out.put("changed", changed);
    return jsonResponse(out);
  }

  /**
   * Pauses or resumes the claiming of a channel in every listener process ({@link ChannelControl}), and records
   * it in the audit log. Body: {@code {"channel": name}}; a channel the dashboard knows.
   */
  private Response pauseOrResume(Request r, JsonNode body) throws SQLException {
    boolean pause = r.path().equals("api/channel/pause");
    if (!body.hasNonNull("channel") || !body.get("channel").isTextual() || body.get("channel").asText().isBlank()) {
      throw new BadRequest(400, "give \"channel\": name");
    }
    String channel = body.get("channel").asText();
    Set<String> known = knownChannels();
    queries.heartbeats(GONE_SHOWN_FOR).forEach(h -> known.add(h.channel())); // served, even with no rows
    boolean isPaused;
    try (java.sql.Connection c = dataSource.getConnection()) {
      isPaused = ChannelControl.paused(c, schema).stream().anyMatch(p -> p.channel().equals(channel));
    }
    if (!known.contains(channel) && !isPaused) {
      throw new BadRequest(400, "unknown channel");
    }
    boolean changed;
    try (java.sql.Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(true);
      try {
        changed =
            pause
                ? ChannelControl.pause(c, schema, channel, r.who() == null ? "dashboard" : r.who())
                : ChannelControl.resume(c, schema, channel);
      } finally {
        c.setAutoCommit(auto);
      }
    }
    log.info("pgpubsub dashboard: {} channel {} ({})", pause ? "paused" : "resumed", channel, r.who());
    ObjectNode recorded = json.createObjectNode();
    recorded.put("channel", channel);
    audit.record(json, pause ? "pause" : "resume", r.who(), null, recorded, changed ? 1 : 0);
    ObjectNode out = json.createObjectNode();
    out.put("changed", changed ? 1 : 0);
    out.put("paused", pause);
    return jsonResponse(out);
  }

  /**
   * Tells the page what the token in the header allows, so that it unlocks write controls only for a token
   * that works: 200 with {@code {"read": true, "write": bool}} for a right token, 403 for a wrong one. Needs the
   * CSRF token like any POST.
   */
  private Response verifyToken(Request r) {
    if (!csrf.valid(r.header().apply("cookie"), r.header().apply(CSRF_HEADER))) {
      return error(403, "missing or wrong CSRF token: reload the page");
    }
    String given = r.header().apply(TOKEN_HEADER);
    boolean write = !readOnly() && (writesWithoutToken || matches(token, given));
    boolean read = readToken == null || write || matches(readToken, given) || matches(token, given);
    if (given != null && !given.isEmpty() && !matches(token, given) && !matches(readToken, given)) {
      log.info("pgpubsub dashboard: a wrong token was entered");
      return error(403, "wrong token");
    }
    ObjectNode out = json.createObjectNode();
    out.put("read", read);
    out.put("write", write);
    return jsonResponse(out);
  }

  private static boolean matches(byte[] expected, String given) {
    return expected != null && given != null && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Why the request's {@code Host} (or {@code Origin}) is refused, or null when it is allowed: an IP address
   * (v4 or v6), {@code localhost} (and {@code *.localhost}), or a name given to {@link Builder#allowedHosts}.
   * A DNS name that an attacker's page rebinds to this machine's address is none of these, so a browser that
   * loaded such a page can neither read payloads nor write.
   */
  String refusedHost(Request r) {
    if (anyHost || (r.inServletContainer() && allowedHosts.isEmpty())) {
      // in a servlet container the application's own security and host handling apply, until hosts are named
      return null;
    }
    String host = r.header().apply("host");
    if (host != null && !hostAllowed(hostName(host))) {
      return "Host '" + printable(host) + "' is not allowed (DNS rebinding protection): open the dashboard by its IP"
          + " address or localhost, or allow the name (--allowed-host, Dashboard.builder().allowedHosts(..))";
    }
    String origin = r.header().apply("origin");
    if (origin != null && !origin.equals("null")) {
      String name;
      try {
        java.net.URI u = java.net.URI.create(origin);
        name = u.getHost() == null ? null : hostName(u.getHost());
      } catch (IllegalArgumentException e) {
        name = null;
      }
      if (name == null || !hostAllowed(name)) {
        return "Origin '" + printable(origin) + "' is not allowed (cross-site request)";
      }
    }
    return null;
  }

  private boolean hostAllowed(String name) {
    if (name.isEmpty()) {
      return false;
    }
    if (allowedHosts.contains(name) || name.equals("localhost") || name.endsWith(".localhost")) {
      return true;
    }
    if (name.startsWith("[") && name.endsWith("]")) {
      return name.length() > 2 && name.substring(1, name.length() - 1).matches("[0-9a-f:.%a-z]+") && name.contains(":");
    }
    return IPV4.matcher(name).matches();
  }

  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

  /** The host of a {@code Host} header value, lower case, without the port; IPv6 keeps its brackets. */
  static String hostName(String host) {
    String h = host.trim().toLowerCase(java.util.Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? "" : h.substring(0, end + 1);
    }
    if (h.indexOf(':') != h.lastIndexOf(':')) {
      return "[" + h + "]"; // a bare IPv6 address (URI.getHost gives it in brackets; be lenient)
    }
    int colon = h.indexOf(':');
    h = colon < 0 ? h : h.substring(0, colon);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char ch : s.toCharArray()) {
      b.append(ch < 0x20 || ch == 0x7f ? '?' : ch);
      if (b.length() > 100) {
        return b + "...";
      }
    }
    return b.toString();
  }

  /** {@code name} when it is a channel the registry, the configuration or the table knows; else a 400. */
  private String knownChannel(String name) throws SQLException {
    if (knownChannels().contains(name)) {
      return name;
    }
    throw new BadRequest(400, "unknown channel");
  }

  private Set<String> knownChannels() throws SQLException {
    Set<String> names = new TreeSet<>(registryChannels());
    names.addAll(queries.channels());
    return names;
  }

  private List<String> registryChannels() {
    Set<String> names = new LinkedHashSet<>(configuredChannels);
    for (ChannelDefinition c : registry()) {
      names.add(c.name());
    }
    return new ArrayList<>(names);
  }

  /** The generated registries' channels, read once per dashboard (empty when there is no registry). */
  private List<ChannelDefinition> registry() {
    List<ChannelDefinition> r = registry;
    if (r == null) {
      try {
        r = List.copyOf(Registries.channels());
      } catch (RuntimeException | LinkageError e) {
        log.debug("pgpubsub dashboard: no channel registry on the class path: {}", e.toString());
        r = List.of();
      }
      registry = r;
    }
    return r;
  }

  private volatile List<ChannelDefinition> registry;

  private ObjectNode overview(Map<String, String> q) throws SQLException {
    HistorySampler.Range range = HistorySampler.Range.parse(q.get("range"));
    sampleHistory();
    List<ChannelStatus> statuses = statusReader.read(registryChannels());
    ObjectNode out = json.createObjectNode();
    out.put("readOnly", readOnly());
    out.put("tokenRequired", !writesWithoutToken);
    out.put("readTokenRequired", readToken != null);
    out.put("refreshSeconds", refresh.toMillis() / 1000.0);
    out.put("heartbeatIntervalSeconds", heartbeatInterval.toMillis() / 1000.0);
    out.put("lagThresholdSeconds", lagThreshold.toMillis() / 1000.0);
    List<DeadLetterQueries.Heartbeat> beats = queries.heartbeats(GONE_SHOWN_FOR);
    Map<String, List<DeadLetterQueries.Heartbeat>> byChannel = new TreeMap<>();
    for (DeadLetterQueries.Heartbeat h : beats) {
      byChannel.computeIfAbsent(h.channel(), k -> new ArrayList<>()).add(h);
    }
    ArrayNode problems = out.putArray("problems");
    ArrayNode listeners = out.putArray("listeners");
    for (DeadLetterQueries.Heartbeat h : beats) {
      ObjectNode o = listeners.addObject();
      String state = liveness(h.ageSeconds());
      o.put("name", h.listener());
      o.put("channel", h.channel());
      o.put("processed", h.processed());
      o.put("ratePerSecond", h.ratePerSecond());
      o.put("heartbeatAt", h.at().toString());
      o.put("heartbeatAgeSeconds", h.ageSeconds());
      o.put("state", state);
      o.put("process", h.process());
      if (!state.equals("live")) {
        problems.add(problem(state, "listener " + h.listener() + " (channel " + h.channel() + ") is " + state
            + ": last heartbeat " + Math.round(h.ageSeconds()) + " s ago, heartbeats come every "
            + heartbeatInterval.toSeconds() + " s"));
      }
    }
    out.set("processes", processes(beats));
    Map<String, ChannelControl.Pause> pauses = new TreeMap<>();
    try (java.sql.Connection c = dataSource.getConnection()) {
      for (ChannelControl.Pause p : ChannelControl.paused(c, schema)) {
        pauses.put(p.channel(), p);
      }
    }
    Set<String> shown = new java.util.HashSet<>();
    for (ChannelStatus s : statuses) {
      shown.add(s.channel());
    }
    List<ChannelStatus> all = new ArrayList<>(statuses);
    for (String ch : byChannel.keySet()) {
      if (shown.add(ch)) {
        all.add(new ChannelStatus(ch, 0, 0, 0, null, List.of()));
      }
    }
    for (String ch : pauses.keySet()) {
      if (shown.add(ch)) {
        all.add(new ChannelStatus(ch, 0, 0, 0, null, List.of()));
      }
    }
    all.sort(java.util.Comparator.comparing(ChannelStatus::channel));
    ArrayNode channels = out.putArray("channels");
    for (ChannelStatus s : all) {
      ObjectNode c = channels.addObject();
      c.put("channel", s.channel());
      c.put("pending", s.pending());
      c.put("retrying", s.retrying());
      c.put("dead", s.dead());
      if (s.oldestPending() == null) {
        c.putNull("oldestPendingSeconds");
      } else {
        c.put("oldestPendingSeconds", s.oldestPending().toMillis() / 1000.0);
      }
      int live = 0;
      int late = 0;
      double rate = 0;
      for (DeadLetterQueries.Heartbeat h : byChannel.getOrDefault(s.channel(), List.of())) {
        String state = liveness(h.ageSeconds());
        if (state.equals("live")) {
          live++;
          rate += h.ratePerSecond();
        } else if (state.equals("late")) {
          late++;
        }
      }
      ChannelStatus.Keys keys = s.keys();
      if (keys == null) {
        c.putNull("keys"); // not an ordered channel
      } else {
        ObjectNode k = c.putObject("keys");
        k.put("waiting", keys.waiting());
        k.put("retrying", keys.retrying());
        k.put("dead", keys.dead());
        k.put("oldestKey", keys.oldestKey());
        if (keys.oldestKeyAge() == null) {
          k.putNull("oldestKeyAgeSeconds");
        } else {
          k.put("oldestKeyAgeSeconds", keys.oldestKeyAge().toMillis() / 1000.0);
        }
      }
      c.put("liveListeners", live);
      c.put("lateListeners", late);
      c.put("ratePerSecond", rate);
      String behind = null;
      double oldest = s.oldestPending() == null ? 0 : s.oldestPending().toMillis() / 1000.0;
      if (s.pending() > 0 && live == 0) {
        behind = "channel " + s.channel() + " has " + s.pending() + " pending and no live listener (oldest "
            + Math.round(oldest) + " s)";
      } else if (s.oldestPending() != null && s.oldestPending().compareTo(lagThreshold) > 0) {
        behind = "channel " + s.channel() + " is behind: the oldest of " + s.pending() + " pending waits "
            + Math.round(oldest) + " s (threshold " + lagThreshold.toSeconds() + " s)";
      }
      c.put("behind", behind != null);
      if (behind != null) {
        problems.add(problem("behind", behind));
      }
      ChannelControl.Pause pause = pauses.get(s.channel());
      c.put("paused", pause != null);
      if (pause != null) {
        c.put("pausedBy", pause.pausedBy());
        c.put("pausedAt", pause.pausedAt().toString());
        problems.add(problem("paused", "channel " + s.channel() + " is paused"
            + (pause.pausedBy() == null ? "" : " by " + pause.pausedBy()) + " since " + pause.pausedAt()
            + ": its listeners claim nothing until it is resumed"));
      }
      if (s.dead() > 0) {
        problems.add(problem("dead", "channel " + s.channel() + " has " + s.dead() + " dead letter"
            + (s.dead() == 1 ? "" : "s")));
      }
    }
    streams(out.putArray("streams"), problems);
    ObjectNode sampled = sampler == null ? json.createObjectNode() : sampler.read(json, range);
    out.put("range", range.label);
    if (sampled.isEmpty() && range == HistorySampler.Range.HOUR) {
      // no samples from the tables (sampling off, or not yet): what the listeners reported
      out.put("historySource", "listeners");
      out.put("bucketSeconds", DeadLetterQueries.HISTORY_BUCKET_SECONDS);
      out.set("history", queries.history(json));
    } else {
      out.put("historySource", "tables");
      out.put("bucketSeconds", range.seconds / 240);
      out.set("history", sampled);
    }
    return out;
  }

  /**
   * The listeners grouped by process ({@code pid@host}, from the listener name), each with its listener
   * instances (workers, busy workers at the last heartbeat) and their channels; uptime and version as the
   * newest heartbeat of the process says. A process is as live as its liveliest listener.
   */
  private ArrayNode processes(List<DeadLetterQueries.Heartbeat> beats) {
    Map<String, Map<String, List<DeadLetterQueries.Heartbeat>>> byProcess = new TreeMap<>();
    for (DeadLetterQueries.Heartbeat h : beats) {
      byProcess.computeIfAbsent(h.process(), k -> new TreeMap<>()).computeIfAbsent(h.listener(), k -> new ArrayList<>()).add(h);
    }
    ArrayNode out = json.createArrayNode();
    for (Map.Entry<String, Map<String, List<DeadLetterQueries.Heartbeat>>> p : byProcess.entrySet()) {
      ObjectNode o = out.addObject();
      o.put("process", p.getKey());
      DeadLetterQueries.Heartbeat newest = null;
      int workers = 0;
      int busy = 0;
      boolean known = false;
      ArrayNode listeners = o.putArray("listeners");
      for (Map.Entry<String, List<DeadLetterQueries.Heartbeat>> l : p.getValue().entrySet()) {
        DeadLetterQueries.Heartbeat first = l.getValue().get(0);
        for (DeadLetterQueries.Heartbeat h : l.getValue()) {
          if (h.ageSeconds() < first.ageSeconds()) {
            first = h;
          }
        }
        if (newest == null || first.ageSeconds() < newest.ageSeconds()) {
          newest = first;
        }
        ObjectNode lo = listeners.addObject();
        lo.put("name", l.getKey());
        lo.put("state", liveness(first.ageSeconds()));
        putNullable(lo, "workers", first.workers());
        putNullable(lo, "busyWorkers", first.busyWorkers());
        if (first.workers() != null && !liveness(first.ageSeconds()).equals("gone")) {
          known = true;
          workers += first.workers();
          busy += first.busyWorkers() == null ? 0 : first.busyWorkers();
        }
        ArrayNode channels = lo.putArray("channels");
        l.getValue().forEach(h -> channels.add(h.channel()));
      }
      o.put("state", liveness(newest.ageSeconds()));
      o.put("heartbeatAgeSeconds", newest.ageSeconds());
      if (known) {
        o.put("workers", workers);
        o.put("busyWorkers", busy);
      } else {
        o.putNull("workers");
        o.putNull("busyWorkers");
      }
      if (newest.processStartedAt() == null) {
        o.putNull("startedAt");
        o.putNull("uptimeSeconds");
      } else {
        o.put("startedAt", newest.processStartedAt().toString());
        o.put("uptimeSeconds", newest.uptimeSeconds());
      }
      o.put("version", newest.version());
    }
    return out;
  }

  private static void putNullable(ObjectNode o, String name, Integer value) {
    if (value == null) {
      o.putNull(name);
    } else {
      o.put(name, value);
    }
  }

  /**
   * Each stream (docs/streams.md): events stored, the age of the oldest, the tail, retention's watermark and
   * the retention a stream channel declares; each named consumer's position, lag and whether retention passed
   * it (a problem: its next batch gets the reset signal). Read over JDBC ({@code Streams.status}); nothing when
   * the stream tables are not installed.
   */
  private void streams(ArrayNode out, ArrayNode problems) throws SQLException {
    List<io.pgpubsub.StreamStatus> statuses;
    try (java.sql.Connection c = dataSource.getConnection()) {
      statuses = io.pgpubsub.Streams.create(schema).status(c);
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return; // streams not installed
      }
      throw e;
    }
    Map<String, ChannelDefinition.StreamOptions> declared = new TreeMap<>();
    for (ChannelDefinition c : registry()) {
      if (c.isStream()) {
        declared.put(c.name(), c.stream());
      }
    }
    java.time.Instant now = java.time.Instant.now();
    for (io.pgpubsub.StreamStatus st : statuses) {
      ObjectNode o = out.addObject();
      o.put("stream", st.stream());
      o.put("events", st.events());
      if (st.oldestAt() == null) {
        o.putNull("oldestAgeSeconds");
      } else {
        o.put("oldestAgeSeconds", java.time.Duration.between(st.oldestAt(), now).toMillis() / 1000.0);
      }
      o.put("tail", st.tail().toString());
      if (st.prunedUpTo() == null) {
        o.putNull("prunedUpTo");
      } else {
        o.put("prunedUpTo", st.prunedUpTo().toString());
      }
      if (st.prunedAt() == null) {
        o.putNull("prunedAgeSeconds");
      } else {
        o.put("prunedAgeSeconds", java.time.Duration.between(st.prunedAt(), now).toMillis() / 1000.0);
      }
      ChannelDefinition.StreamOptions retention = declared.get(st.stream());
      if (retention == null || !retention.retains()) {
        o.putNull("retain");
        o.putNull("retainCount");
      } else {
        if (retention.retain() == null) {
          o.putNull("retain");
        } else {
          o.put("retain", retention.retain().toString());
        }
        if (retention.retainCount() > 0) {
          o.put("retainCount", retention.retainCount());
        } else {
          o.putNull("retainCount");
        }
      }
      ArrayNode consumers = o.putArray("consumers");
      for (io.pgpubsub.StreamStatus.Consumer c : st.consumers()) {
        ObjectNode co = consumers.addObject();
        co.put("consumer", c.consumer());
        co.put("position", c.position().toString());
        co.put("lag", c.lag());
        co.put("updatedAgeSeconds", java.time.Duration.between(c.updatedAt(), now).toMillis() / 1000.0);
        co.put("pruned", c.pruned());
        if (c.pruned()) {
          problems.add(problem("pruned", "consumer " + c.consumer() + " of stream " + st.stream() + " is at "
              + c.position() + ", which retention has pruned (up to " + st.prunedUpTo() + "): its next batch gets"
              + " the reset signal; seek it (StreamConsumer.seek) after rebuilding what it built"));
        }
      }
    }
  }

  private ObjectNode deadList(Map<String, String> q) throws SQLException {
    DeadFilter filter = DeadFilter.parse(q);
    if (filter.channel() != null) {
      knownChannel(filter.channel());
    }
    DeadLetterQueries.Sort sort = DeadLetterQueries.Sort.parse(q.get("sort"));
    boolean descending = !"asc".equals(q.get("dir"));
    if (q.get("dir") != null && !q.get("dir").equals("asc") && !q.get("dir").equals("desc")) {
      throw new BadRequest(400, "dir must be asc or desc");
    }
    int pageSize = number(q, "limit", 50, 1, 1000);
    int page = number(q, "page", 0, 0, 1_000_000);
    ObjectNode out = json.createObjectNode();
    out.put("readOnly", readOnly());
    out.put("page", page);
    out.put("pageSize", pageSize);
    out.put("sort", sort.name().toLowerCase(java.util.Locale.ROOT));
    out.put("dir", descending ? "desc" : "asc");
    queries.list(json, out, filter, sort, descending, page, pageSize);
    ArrayNode channels = out.putArray("channels");
    knownChannels().forEach(channels::add);
    return out;
  }

  private ObjectNode deadGroups(Map<String, String> q) throws SQLException {
    DeadFilter filter = DeadFilter.parse(q);
    if (filter.channel() != null) {
      knownChannel(filter.channel());
    }
    ObjectNode out = json.createObjectNode();
    out.set("groups", queries.groups(json, filter));
    return out;
  }

  private ObjectNode auditList(Map<String, String> q) throws SQLException {
    Long id = null;
    if (q.get("id") != null && !q.get("id").isBlank()) {
      try {
        id = Long.parseLong(q.get("id").trim());
      } catch (NumberFormatException e) {
        throw new BadRequest(400, "id must be a number");
      }
    }
    ObjectNode out = json.createObjectNode();
    out.set("entries", audit.read(json, id, number(q, "limit", 50, 1, 500)));
    return out;
  }

  private ObjectNode pendingList(Map<String, String> q) throws SQLException {
    String channel = blankToNull(q.get("channel"));
    if (channel != null) {
      knownChannel(channel);
    }
    String state = q.getOrDefault("state", "pending");
    if (!state.equals("pending") && !state.equals("retrying")) {
      throw new BadRequest(400, "state must be pending or retrying");
    }
    int pageSize = number(q, "limit", 50, 1, 1000);
    int page = number(q, "page", 0, 0, 1_000_000);
    ObjectNode out = json.createObjectNode();
    out.put("page", page);
    out.put("pageSize", pageSize);
    out.put("state", state);
    queries.pending(out, channel, state.equals("retrying"), page, pageSize);
    return out;
  }

  private static int number(Map<String, String> q, String name, int fallback, int min, int max) {
    String v = q.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Math.max(min, Math.min(max, Integer.parseInt(v.trim())));
    } catch (NumberFormatException e) {
      throw new BadRequest(400, name + " must be a number");
    }
  }

  /** live, late (no heartbeat for more than 2 intervals) or gone (more than 3). */
  private String liveness(double ageSeconds) {
    double interval = heartbeatInterval.toMillis() / 1000.0;
    return ageSeconds > 3 * interval ? "gone" : ageSeconds > 2 * interval ? "late" : "live";
  }

  private ObjectNode problem(String kind, String text) {
    ObjectNode p = json.createObjectNode();
    p.put("kind", kind);
    p.put("text", text);
    return p;
  }

  private Response favicon() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Cache-Control", "public, max-age=86400");
    return withSecurityHeaders(new Response(200, "image/x-icon", headers, read("static/favicon.ico")));
  }

  private ObjectNode detail(long id, boolean deadOnly) throws SQLException {
    ObjectNode out = queries.detail(json, id, maxPayloadChars, deadOnly);
    if (out == null) {
      throw new BadRequest(
          404,
          deadOnly
              ? "dead notification " + id + " not found (retried or purged meanwhile?)"
              : "notification " + id + " not found (processed or purged meanwhile?)");
    }
    out.set("attemptHistory", queries.attempts(json, id)); // each failed attempt the listeners kept (last 10)
    return out;
  }

  private Response download(long id, boolean deadOnly) throws SQLException {
    String payload = queries.payload(id, deadOnly);
    if (payload == null) {
      throw new BadRequest(404, (deadOnly ? "dead notification " : "notification ") + id + " not found");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Disposition", "attachment; filename=\"pgpubsub-dead-" + id + ".json\"");
    return withSecurityHeaders(
        new Response(200, "application/json; charset=utf-8", headers, payload.getBytes(StandardCharsets.UTF_8)));
  }

  private Response page(Request r) {
    String cookie = r.header().apply("cookie");
    String token = csrf.tokenFor(cookie);
    String html =
        new String(read("static/index.html"), StandardCharsets.UTF_8)
            .replace("{{csrf}}", token)
            .replace("{{refreshMillis}}", Long.toString(refresh.toMillis()));
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Set-Cookie", Csrf.COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
    return withSecurityHeaders(
        new Response(200, "text/html; charset=utf-8", headers, html.getBytes(StandardCharsets.UTF_8)));
  }

  private Response resource(String name, String type) {
    return withSecurityHeaders(new Response(200, type, new LinkedHashMap<>(), read(name)));
  }

  private Response classpathResource(String name, String type) {
    try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        return error(404, "missing from the class path: " + name);
      }
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Cache-Control", "public, max-age=86400");
      return withSecurityHeaders(new Response(200, type, headers, in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] read(String name) {
    try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("io/pgpubsub/dashboard/" + name + " missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String chartJsVersion() {
    Properties p = new Properties();
    try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.properties")) {
      p.load(in);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("io/pgpubsub/dashboard/dashboard.properties missing from the class path", e);
    }
    return p.getProperty("chartjs.version");
  }

  private Response jsonResponse(JsonNode node) {
    try {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Cache-Control", "no-store");
      return withSecurityHeaders(
          new Response(200, "application/json; charset=utf-8", headers, json.writeValueAsBytes(node)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Response error(int status, String message) {
    ObjectNode node = json.createObjectNode();
    node.put("error", message);
    try {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Cache-Control", "no-store");
      return withSecurityHeaders(
          new Response(status, "application/json; charset=utf-8", headers, json.writeValueAsBytes(node)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Response withSecurityHeaders(Response r) {
    Map<String, String> h = r.headers();
    h.put(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
            + " base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    h.put("X-Content-Type-Options", "nosniff");
    h.put("X-Frame-Options", "DENY");
    h.put("Referrer-Policy", "no-referrer");
    h.putIfAbsent("Cache-Control", "no-cache");
    return r;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** A client error with its HTTP status; its message is shown to the operator. */
  static final class BadRequest extends RuntimeException {
    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** The age filter of the dead-letter list: a fixed set of choices, never SQL from the request. */
  enum AgeFilter {
    ANY(null, null),
    NEWER_THAN_1H(null, 3600L),
    NEWER_THAN_1D(null, 86400L),
    OLDER_THAN_1H(3600L, null),
    OLDER_THAN_1D(86400L, null);

    final Long minSeconds;
    final Long maxSeconds;

    AgeFilter(Long minSeconds, Long maxSeconds) {
      this.minSeconds = minSeconds;
      this.maxSeconds = maxSeconds;
    }

    static AgeFilter parse(String s) {
      if (s == null || s.isBlank()) {
        return ANY;
      }
      switch (s) {
        case "lt1h":
          return NEWER_THAN_1H;
        case "lt1d":
          return NEWER_THAN_1D;
        case "gt1h":
          return OLDER_THAN_1H;
        case "gt1d":
          return OLDER_THAN_1D;
        default:
          throw new BadRequest(400, "age must be one of lt1h, lt1d, gt1h, gt1d");
      }
    }
  }

  /** Options of the dashboard; {@link #build()} freezes them. */
  public static final class Builder {
    private final DataSource dataSource;
    private String schema = NotificationTable.DEFAULT_SCHEMA;
    private final List<String> channels = new ArrayList<>();
    private boolean readOnly;
    private String token;
    private String readToken;
    private final Set<String> allowedHosts = new TreeSet<>();
    private Duration heartbeatInterval = Duration.ofSeconds(10);
    private Duration lagThreshold = Duration.ofSeconds(60);
    private Duration historyInterval = Duration.ofSeconds(10);
    private Duration historyRetention = Duration.ofDays(7);
    private boolean writesWithoutToken;
    private Duration refresh = Duration.ofSeconds(5);
    private int maxPayloadChars = 64 * 1024;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** Schema of the pgpubsub tables. Default {@code public}. */
    public Builder schema(String schema) {
      this.schema = schema;
      return this;
    }

    /**
     * Channels to show even when they have no rows and no listeners. Default: the channels of the generated
     * registry on the class path (if any); channels with rows or live listeners are always shown.
     */
    public Builder channels(Collection<String> channels) {
      this.channels.addAll(channels);
      return this;
    }

    /** Refuses every write action (retry, purge). Default false. */
    public Builder readOnly(boolean readOnly) {
      this.readOnly = readOnly;
      return this;
    }

    /**
     * The token that write actions must carry (the page asks for it, or takes it from the URL fragment
     * {@code #token=...}). Without a token (and without {@link #allowWritesWithoutToken()}) the dashboard is
     * read-only.
     */
    public Builder token(String token) {
      if (token != null && token.isBlank()) {
        throw new IllegalArgumentException("token must not be blank");
      }
      this.token = token;
      return this;
    }

    /**
     * A token that reading needs: without it (or the write token) in the page's token box, the JSON API
     * answers 401 and the page shows no data. For instances whose payloads are sensitive. Default: none
     * (reads are open to whoever reaches the page).
     */
    public Builder readToken(String readToken) {
      if (readToken != null && readToken.isBlank()) {
        throw new IllegalArgumentException("readToken must not be blank");
      }
      this.readToken = readToken;
      return this;
    }

    /**
     * Host names the page may be opened by, besides IP addresses and {@code localhost}, which are always
     * allowed: requests whose {@code Host} or {@code Origin} names another host get 403 (DNS rebinding
     * protection). {@code "*"} allows any host (only when a proxy in front checks it). Default: none. Mounted in
     * a servlet container ({@link DashboardServlet}) the check is on only once hosts are named here (the
     * application's own security and host handling apply otherwise); served by {@link DashboardServer} or
     * {@link #httpHandler()} it is always on.
     */
    public Builder allowedHosts(Collection<String> hosts) {
      for (String h : hosts) {
        if (h == null || h.isBlank()) {
          throw new IllegalArgumentException("allowed hosts must not be blank");
        }
        this.allowedHosts.add(h.equals("*") ? h : hostName(h));
      }
      return this;
    }

    /**
     * How often listeners write their heartbeat (10 s in this version): a listener whose heartbeat is older
     * than 2 intervals is shown late, older than 3 gone. Default 10 s.
     */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
        throw new IllegalArgumentException("heartbeatInterval must be positive, got " + heartbeatInterval);
      }
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    /**
     * A channel whose oldest pending notification waits longer than this is shown behind (so is one with
     * pending notifications and no live listener). Default 60 s.
     */
    public Builder lagThreshold(Duration lagThreshold) {
      if (lagThreshold.isNegative()) {
        throw new IllegalArgumentException("lagThreshold must not be negative, got " + lagThreshold);
      }
      this.lagThreshold = lagThreshold;
      return this;
    }

    /**
     * How often the history of every channel (inflow, processed, backlog, lag) is sampled from the tables into
     * {@code pgpubsub_channel_history} (created on first use), so that the charts show it while no listener
     * runs; null switches sampling off (the charts then show what listeners reported, for the last hour).
     * Default 10 s; at least 1 s.
     */
    public Builder historyInterval(Duration historyInterval) {
      if (historyInterval != null && historyInterval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("historyInterval must be at least 1 s, got " + historyInterval);
      }
      this.historyInterval = historyInterval;
      return this;
    }

    /** How long history samples are kept. Default 7 days (the longest chart range); at least 1 hour. */
    public Builder historyRetention(Duration historyRetention) {
      if (historyRetention.compareTo(Duration.ofHours(1)) < 0) {
        throw new IllegalArgumentException("historyRetention must be at least 1 hour, got " + historyRetention);
      }
      this.historyRetention = historyRetention;
      return this;
    }

    /**
     * Lets write actions through without a token: only for a dashboard mounted behind the application's own
     * security (Spring Security guarding its path). CSRF protection stays on.
     */
    public Builder allowWritesWithoutToken() {
      this.writesWithoutToken = true;
      return this;
    }

    /** How often the page refreshes. Default 5 s; at least 1 s. */
    public Builder refresh(Duration refresh) {
      if (refresh.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("refresh must be at least 1 s, got " + refresh);
      }
      this.refresh = refresh;
      return this;
    }

    /** Payloads longer than this are shown truncated, with a link to download them whole. Default 65536. */
    public Builder maxPayloadChars(int maxPayloadChars) {
      if (maxPayloadChars < 100) {
        throw new IllegalArgumentException("maxPayloadChars must be at least 100, got " + maxPayloadChars);
      }
      this.maxPayloadChars = maxPayloadChars;
      return this;
    }

    public Dashboard build() {
      return new Dashboard(this);
    }
  }
}
