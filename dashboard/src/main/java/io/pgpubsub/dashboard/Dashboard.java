package io.pgpubsub.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpHandler;
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
  private static final Pattern DEAD_ID = Pattern.compile("api/dead/([0-9]{1,18})(/payload)?");
  private static final int MAX_SELECTION = 1000;

  final DataSource dataSource;
  final String schema;
  private final List<String> configuredChannels;
  private final boolean readOnly;
  private final byte[] token;
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
    this.writesWithoutToken = b.writesWithoutToken;
    this.refresh = b.refresh;
    this.maxPayloadChars = b.maxPayloadChars;
    this.statusReader = ChannelStatusReader.of(dataSource, schema);
    this.deadLetters = DeadLetters.of(dataSource, schema);
    this.queries = new DeadLetterQueries(dataSource, schema);
    this.chartJsPath = "META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.js";
  }

  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** A handler for the JDK's HTTP server; mount it with {@code server.createContext("/pgpubsub", handler)}. */
  public HttpHandler httpHandler() {
    return new DashboardHttpHandler(this);
  }

  /** Whether write actions are refused whatever the request carries. */
  public boolean readOnly() {
    return readOnly || (token == null && !writesWithoutToken);
  }

  /** A request, relative to where the dashboard is mounted ({@code path} has no leading slash). */
  record Request(String method, String path, String rawQuery, Function<String, String> header, byte[] body) {}

  /** A response: status, content type, extra headers, body. */
  record Response(int status, String contentType, Map<String, String> headers, byte[] body) {}

  Response handle(Request r) {
    try {
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
      case "assets/chart.umd.js":
        return classpathResource(chartJsPath, "text/javascript; charset=utf-8");
      case "api/overview":
        return jsonResponse(overview());
      case "api/dead":
        return jsonResponse(deadList(Query.parse(r.rawQuery())));
      default:
        Matcher m = DEAD_ID.matcher(path);
        if (m.matches()) {
          long id = Long.parseLong(m.group(1));
          return m.group(2) == null ? jsonResponse(deadDetail(id)) : download(id);
        }
        return error(404, "not found: " + path);
    }
  }

  private Response post(Request r) throws SQLException {
    if (readOnly()) {
      return error(
          403,
          readOnly
              ? "the dashboard is read-only"
              : "writes need a token: start the dashboard with a token (--token, or Dashboard.builder().token(...))");
    }
    if (!writesWithoutToken) {
      String given = r.header().apply(TOKEN_HEADER);
      if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
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
    if (body.hasNonNull("channel")) {
      String channel = knownChannel(body.get("channel").asText());
      changed = retry ? deadLetters.retryAll(channel) : deadLetters.purgeAll(channel);
      log.info("pgpubsub dashboard: {} {} dead notifications of channel {}", retry ? "retried" : "purged", changed, channel);
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
      for (long id : list) {
        if (retry ? deadLetters.retry(id) : deadLetters.purge(id)) {
          changed++;
        }
      }
      log.info("pgpubsub dashboard: {} dead notifications {}", retry ? "retried" : "purged", list);
    } else {
      throw new BadRequest(400, "give \"ids\": [..] or \"channel\": \"name\"");
    }
    ObjectNode out = json.createObjectNode();
    out.put("changed", changed);
    return jsonResponse(out);
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
    try {
      for (ChannelDefinition c : Registries.channels()) {
        names.add(c.name());
      }
    } catch (RuntimeException | LinkageError e) {
      log.debug("pgpubsub dashboard: no channel registry on the class path: {}", e.toString());
    }
    return new ArrayList<>(names);
  }

  private ObjectNode overview() throws SQLException {
    List<ChannelStatus> statuses = statusReader.read(registryChannels());
    ObjectNode out = json.createObjectNode();
    out.put("readOnly", readOnly());
    out.put("tokenRequired", !writesWithoutToken);
    out.put("refreshSeconds", refresh.toMillis() / 1000.0);
    ArrayNode channels = out.putArray("channels");
    for (ChannelStatus s : statuses) {
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
      c.put("ratePerSecond", s.ratePerSecond());
      ArrayNode ls = c.putArray("listeners");
      for (ChannelStatus.ListenerProcess l : s.listeners()) {
        ObjectNode o = ls.addObject();
        o.put("name", l.name());
        o.put("processed", l.processed());
        o.put("ratePerSecond", l.ratePerSecond());
        o.put("heartbeatAt", l.heartbeatAt().toString());
      }
    }
    out.set("history", queries.history(json));
    return out;
  }

  private ObjectNode deadList(Map<String, String> q) throws SQLException {
    String channel = blankToNull(q.get("channel"));
    if (channel != null) {
      channel = knownChannel(channel);
    }
    String errorClass = blankToNull(q.get("error"));
    if (errorClass != null && !DeadLetterQueries.ERROR_CLASS.matcher(errorClass).matches()) {
      throw new BadRequest(400, "error must be a Java class name");
    }
    AgeFilter age = AgeFilter.parse(q.get("age"));
    int limit = 200;
    if (q.get("limit") != null) {
      try {
        limit = Math.max(1, Math.min(1000, Integer.parseInt(q.get("limit"))));
      } catch (NumberFormatException e) {
        throw new BadRequest(400, "limit must be a number");
      }
    }
    ObjectNode out = json.createObjectNode();
    out.put("readOnly", readOnly());
    queries.list(json, out, channel, errorClass, age, limit);
    ArrayNode channels = out.putArray("channels");
    knownChannels().forEach(channels::add);
    return out;
  }

  private ObjectNode deadDetail(long id) throws SQLException {
    ObjectNode out = queries.detail(json, id, maxPayloadChars);
    if (out == null) {
      throw new BadRequest(404, "dead notification " + id + " not found (retried or purged meanwhile?)");
    }
    return out;
  }

  private Response download(long id) throws SQLException {
    String payload = queries.payload(id);
    if (payload == null) {
      throw new BadRequest(404, "dead notification " + id + " not found");
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
