package io.pgpubsub.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.RowDecoder;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * A channel browsers may subscribe to: a stream, how its rows are decoded, and the <b>projection</b> that decides
 * what a browser receives. Nothing else of a row is ever sent; a channel name without a registered {@code
 * WebChannel} is not exposed at all.
 *
 * <pre>{@code
 * WebChannel.rows("orders")                                   // reads stream "orders", rows as JSON objects
 *     .project(WebChannel.columns("id", "status", "total"))   // only these columns reach a browser
 *     .visibleTo((user, e) -> e.current() != null && user.getName().equals(e.current().path("owner").asText()));
 *
 * WebChannel.entities("orders", Order.class, HibernatePubSub.rowDecoder(sessionFactory))
 *     .project(order -> new OrderView(order.getId(), order.getStatus()));
 * }</pre>
 *
 * @param <T> the row type the projection and the hooks see
 */
public final class WebChannel<T> {

  private final String name;
  private final RowReader<T> reader;
  private String stream;
  private Function<? super T, ?> projection;
  private String idColumn = "id";
  private boolean includeOld;
  private EventVisibility<T> visibility = (principal, event) -> true;

  private WebChannel(String name, RowReader<T> reader) {
    this.name = io.pgpubsub.internal.ChannelNames.validate(name);
    this.stream = name;
    this.reader = reader;
  }

  /** A channel whose rows are the captured JSON objects ({@code to_jsonb(NEW/OLD)}: column name to value). */
  public static WebChannel<ObjectNode> rows(String name) {
    return new WebChannel<>(name, row -> row);
  }

  /**
   * A channel whose rows are decoded as {@code type} by {@code decoder}, for example Hibernate's ({@code
   * HibernatePubSub.rowDecoder(sessionFactory)}): the projection gets entities.
   */
  public static <T> WebChannel<T> entities(String name, Class<T> type, RowDecoder decoder) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(decoder, "decoder");
    ChannelDefinition definition =
        new ChannelDefinition(name, type, true, false, true, null, null, Set.of(), null, null, List.of());
    return new WebChannel<>(name, row -> type.cast(decoder.decode(definition, row)));
  }

  /** A projection that keeps only {@code columns} of a JSON row (missing ones are left out). */
  public static Function<ObjectNode, ObjectNode> columns(String... columns) {
    List<String> keep = List.of(columns);
    return row -> {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      for (String c : keep) {
        JsonNode v = row.get(c);
        if (v != null) {
          out.set(c, v);
        }
      }
      return out;
    };
  }

  /** The stream the channel reads (captured with {@code Streams.capture(connection, table, stream)}). Default: the channel's name. */
  public WebChannel<T> stream(String stream) {
    this.stream = io.pgpubsub.internal.ChannelNames.validate(stream);
    return this;
  }

  /**
   * What a browser receives of a row: any object Jackson writes (a DTO, a record, a {@code Map}, an {@code
   * ObjectNode}). Required: a channel without a projection cannot be registered. Returning null skips the event.
   */
  public WebChannel<T> project(Function<? super T, ?> projection) {
    this.projection = Objects.requireNonNull(projection, "projection");
    return this;
  }

  /** Also send the projection of the row before an update or delete as {@code old}. Default: off. */
  public WebChannel<T> includeOld(boolean includeOld) {
    this.includeOld = includeOld;
    return this;
  }

  /** The column whose value clients filter by with {@code ?id=}. Default {@code id}. */
  public WebChannel<T> idColumn(String idColumn) {
    this.idColumn = Objects.requireNonNull(idColumn, "idColumn");
    return this;
  }

  /** Who may see which event, checked per subscriber for every event, live and on replay. Default: everyone allowed to connect. */
  public WebChannel<T> visibleTo(EventVisibility<T> visibility) {
    this.visibility = Objects.requireNonNull(visibility, "visibility");
    return this;
  }

  public String name() {
    return name;
  }

  public String stream() {
    return stream;
  }

  Function<? super T, ?> projection() {
    return projection;
  }

  RowReader<T> reader() {
    return reader;
  }

  String idColumn() {
    return idColumn;
  }

  boolean includeOld() {
    return includeOld;
  }

  EventVisibility<T> visibility() {
    return visibility;
  }

  @FunctionalInterface
  interface RowReader<T> {
    T read(ObjectNode row) throws Exception;
  }

  @Override
  public String toString() {
    return "WebChannel[" + name + " <- stream " + stream + "]";
  }
}
