package io.pgpubsub.internal;

import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPage;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.StreamPositionPrunedException;
import io.pgpubsub.StreamStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Every SQL statement of streams, for one schema.
 *
 * <h2>Why positions are gap-free</h2>
 *
 * Identity values are not commit order: T1 takes id 10, T2 takes id 11, T2 commits first, and a reader that
 * moved past 11 would never see 10 (Kafka Connect JDBC #172). So an event's position is {@code (xid, id)}, the
 * writer's top-level transaction id ({@code pg_current_xact_id()}, 64 bits, never reused) first, and a reader
 * reads an event only when {@code xid < pg_snapshot_xmin(pg_current_snapshot())} of the very snapshot that
 * reads it. Every transaction id below a snapshot's xmin has ended (committed or rolled back) before the
 * snapshot was taken, so every event such a transaction wrote is already visible in it, and no event with such
 * an xid can appear later. An event that appears later therefore has {@code xid >= xmin > } the xid of every
 * event read so far, so it sorts after them: a reader that read up to p never later finds an event at or below
 * p. Events of one transaction become visible together (they share the xid) and keep their id order. The
 * readable events form a prefix of the (xid, id) order, so a reader stops at the first one that is not
 * readable yet ({@link StreamPage#heldBack()}).
 *
 * <p>The price: an open transaction that holds an xid (any writer, in any database of the server, and prepared
 * transactions) holds back the readers of events whose xid is higher, until it ends. It delays them, it never
 * makes them skip. Read-only transactions have no xid and hold back nothing.
 *
 * <p>Why not a sequencer that numbers readable rows densely ({@code UPDATE ... SET position = nextval(...)})?
 * It would rest on the same xmin rule, and add a second write of every event, an elected process that must run
 * for readers to progress, and its failover; ordering by (xid, id) directly needs none of that: a read is one
 * index range scan. What we give up: positions are not dense (lag is counted, not subtracted) and are two
 * numbers (written as one token, {@code "<xid>-<id>"}).
 *
 * <p>Retention deletes a prefix of the readable events and records the highest position it deleted (the stream's
 * watermark) in the same transaction. Every read checks the watermark in the same statement (the same snapshot)
 * as it reads the events: a position below it gets {@link StreamPositionPrunedException}, never a silent gap.
 */
public final class StreamRepository {

  private final String events;
  private final String streams;
  private final String consumers;

  public StreamRepository(String schema) {
    String s = SchemaNames.sql(schema);
    this.events = s + ".pgpubsub_stream_event";
    this.streams = s + ".pgpubsub_stream";
    this.consumers = s + ".pgpubsub_stream_consumer";
  }

  /** Stores one event inside {@code c}'s transaction, and wakes readers unless {@code notifyName} is null. */
  public StreamPosition append(Connection c, String stream, String json, String notifyName) throws SQLException {
    String sql =
        "INSERT INTO " + events + " (stream, payload) VALUES (?, ?::jsonb) RETURNING xid::text, id"
            + (notifyName != null ? ", pg_notify(?, '')::text" : "");
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, stream);
      ps.setString(2, json);
      if (notifyName != null) {
        ps.setString(3, notifyName);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new StreamPosition(Long.parseLong(rs.getString(1)), rs.getLong(2));
      }
    }
  }

  /**
   * Up to {@code limit} readable events after {@code after}. One statement, so one snapshot: the xmin that
   * decides what is readable, the events and the watermark all come from it (see the class comment).
   */
  public StreamPage read(Connection c, String stream, StreamPosition after, int limit) throws SQLException {
    String sql =
        "WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin,"
            + " pg_snapshot_xmax(pg_current_snapshot()) AS xmax),"
            + " w AS (SELECT pruned_xid, pruned_id FROM " + streams + " WHERE stream = ?)"
            + " SELECT (SELECT pruned_xid::text FROM w), (SELECT pruned_id FROM w),"
            + " ?::xid8 >= (SELECT xmax FROM h) AS future,"
            + " e.xid::text, e.id, e.payload::text, e.created_at, e.xid < (SELECT xmin FROM h) AS readable"
            + " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT xid, id, payload, created_at FROM " + events
            + " WHERE stream = ? AND (xid, id) > (?::xid8, ?) ORDER BY xid, id LIMIT ?) e ON true"
            + " ORDER BY e.xid, e.id";
    List<StreamEvent> page = new ArrayList<>();
    StreamPosition next = after;
    boolean heldBack = false;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, stream);
      ps.setString(2, Long.toString(after.xid()));
      ps.setString(3, stream);
      ps.setString(4, Long.toString(after.xid()));
      ps.setLong(5, after.id());
      ps.setInt(6, limit);
      try (ResultSet rs = ps.executeQuery()) {
        boolean first = true;
        while (rs.next()) {
          if (first) {
            first = false;
            String prunedXid = rs.getString(1);
            if (rs.getBoolean(3)) {
              throw new StreamPositionPrunedException(
                  stream, after, StreamPosition.BEGINNING,
                  "is ahead of every transaction id of this server (restored into another cluster?)");
            }
            if (prunedXid != null && !after.isBeginning()) {
              StreamPosition watermark = new StreamPosition(Long.parseLong(prunedXid), rs.getLong(2));
              if (after.compareTo(watermark) < 0) {
                throw new StreamPositionPrunedException(stream, after, watermark, "was pruned by retention");
              }
            }
          }
          String xid = rs.getString(4);
          if (xid == null) {
            break; // no event after the position
          }
          if (!rs.getBoolean(8)) {
            heldBack = true; // readable events are a prefix of the order: stop at the first one that is not
            break;
          }
          next = new StreamPosition(Long.parseLong(xid), rs.getLong(5));
          page.add(new StreamEvent(stream, next, rs.getString(6), rs.getTimestamp(7).toInstant()));
        }
      }
    }
    return new StreamPage(page, next, heldBack);
  }

  /**
   * The position of the newest readable event, or the watermark when retention deleted every event, or {@link
   * StreamPosition#BEGINNING} for a stream that never had one: a reader that starts there misses nothing that
   * becomes readable later (its xid is at or above this snapshot's xmin).
   */
  public StreamPosition tail(Connection c, String stream) throws SQLException {
    String sql =
        "SELECT xid::text, id FROM (SELECT xid, id FROM " + events
            + " WHERE stream = ? AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xid DESC, id DESC LIMIT 1) e"
            + " UNION ALL SELECT pruned_xid::text, pruned_id FROM " + streams + " WHERE stream = ?";
    StreamPosition tail = StreamPosition.BEGINNING;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, stream);
      ps.setString(2, stream);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          StreamPosition p = new StreamPosition(Long.parseLong(rs.getString(1)), rs.getLong(2));
          if (p.compareTo(tail) > 0) {
            tail = p;
          }
        }
      }
    }
    return tail;
  }

  /**
   * Retention: deletes the longest prefix (in position order) of readable events that are all older than
   * {@code maxAge} (null: no age limit), and every event but the newest {@code maxCount} (0: no count limit),
   * whichever reaches further, and only readable events; records the highest deleted position as the watermark, in the same transaction. Runs in its
   * own transaction on {@code c} (auto-commit is restored), serialized per stream by an advisory lock.
   *
   * @return how many events were deleted
   */
  public long prune(Connection c, String stream, Duration maxAge, long maxCount) throws SQLException {
    if (maxAge == null && maxCount <= 0) {
      return 0;
    }
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 1885827955))")) {
        ps.setString(1, stream);
        ps.execute();
      }
      // the horizon: only events below it are final (no event can appear below it any more)
      String horizon;
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        horizon = rs.getString(1);
      }
      // two prefixes of the position order may go: the events older than maxAge (up to the first young or not final
      // one) and every event but the newest maxCount; the longer of the two is deleted, and only below the horizon
      List<String> prefixes = new ArrayList<>();
      List<Object> args = new ArrayList<>(List.of(stream, horizon));
      if (maxAge != null) {
        StreamPosition keep = first(c,
            "SELECT xid::text, id FROM " + events + " WHERE stream = ? AND (xid >= ?::xid8 OR created_at >= ?)"
                + " ORDER BY xid, id LIMIT 1",
            stream, horizon, Timestamp.from(Instant.now().minus(maxAge)));
        if (keep == null) {
          prefixes.add("true");
        } else {
          prefixes.add("(xid, id) < (?::xid8, ?)");
          args.add(Long.toString(keep.xid()));
          args.add(keep.id());
        }
      }
      if (maxCount > 0) {
        StreamPosition lastGone = first(c,
            "SELECT xid::text, id FROM " + events + " WHERE stream = ? ORDER BY xid DESC, id DESC OFFSET ? LIMIT 1",
            stream, maxCount);
        if (lastGone != null) {
          prefixes.add("(xid, id) <= (?::xid8, ?)");
          args.add(Long.toString(lastGone.xid()));
          args.add(lastGone.id());
        }
      }
      if (prefixes.isEmpty()) {
        c.commit();
        return 0;
      }
      String where = "stream = ? AND xid < ?::xid8 AND (" + String.join(" OR ", prefixes) + ")";
      String sql =
          "WITH d AS (DELETE FROM " + events + " WHERE " + where + " RETURNING xid, id),"
              + " m AS (SELECT xid, id, count(*) OVER () AS n FROM d ORDER BY xid DESC, id DESC LIMIT 1),"
              + " u AS (INSERT INTO " + streams + " AS s (stream, pruned_xid, pruned_id, pruned_at)"
              + " SELECT ?, xid, id, now() FROM m ON CONFLICT (stream) DO UPDATE SET pruned_xid = EXCLUDED.pruned_xid,"
              + " pruned_id = EXCLUDED.pruned_id, pruned_at = EXCLUDED.pruned_at"
              + " WHERE (s.pruned_xid, s.pruned_id) < (EXCLUDED.pruned_xid, EXCLUDED.pruned_id))"
              + " SELECT coalesce((SELECT n FROM m), 0)";
      args.add(stream);
      long deleted;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        bind(ps, args.toArray());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          deleted = rs.getLong(1);
        }
      }
      c.commit();
      return deleted;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /**
   * Inside {@code c}'s open transaction: waits for the named consumer's lock (so one batch of a consumer runs at a
   * time, in any number of processes; the lock takes no transaction id, so it holds back no reader), then reads
   * its stored position ({@link StreamPosition#BEGINNING} when it has none).
   */
  public StreamPosition lockConsumer(Connection c, String consumer, String stream) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(? || ':' || ?, 1885827956))")) {
      ps.setString(1, stream);
      ps.setString(2, consumer);
      ps.execute();
    }
    return consumerPosition(c, consumer, stream);
  }

  /** The named consumer's stored position, {@link StreamPosition#BEGINNING} when it has none. */
  public StreamPosition consumerPosition(Connection c, String consumer, String stream) throws SQLException {
    StreamPosition p = first(c, "SELECT xid::text, id FROM " + consumers + " WHERE consumer = ? AND stream = ?", consumer, stream);
    return p != null ? p : StreamPosition.BEGINNING;
  }

  /** Stores the named consumer's position, inside {@code c}'s transaction. */
  public void storeConsumer(Connection c, String consumer, String stream, StreamPosition position) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO " + consumers + " (consumer, stream, xid, id) VALUES (?, ?, ?::xid8, ?) ON CONFLICT (consumer, stream)"
            + " DO UPDATE SET xid = EXCLUDED.xid, id = EXCLUDED.id, updated_at = now()")) {
      bind(ps, consumer, stream, Long.toString(position.xid()), position.id());
      ps.executeUpdate();
    }
  }

  /** Every stream that has events, a watermark or a consumer, by name; see {@link StreamStatus}. */
  public List<StreamStatus> status(Connection c) throws SQLException {
    String sql =
        "WITH names AS (SELECT DISTINCT stream FROM " + events + " UNION SELECT stream FROM " + streams
            + " UNION SELECT stream FROM " + consumers + ")"
            + " SELECT n.stream, (SELECT count(*) FROM " + events + " e WHERE e.stream = n.stream),"
            + " (SELECT min(created_at) FROM " + events + " e WHERE e.stream = n.stream),"
            + " (SELECT max(created_at) FROM " + events + " e WHERE e.stream = n.stream),"
            + " s.pruned_xid::text, s.pruned_id, s.pruned_at"
            + " FROM names n LEFT JOIN " + streams + " s ON s.stream = n.stream ORDER BY n.stream";
    List<StreamStatus> result = new ArrayList<>();
    List<Object[]> rows = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        StreamPosition watermark =
            rs.getString(5) != null ? new StreamPosition(Long.parseLong(rs.getString(5)), rs.getLong(6)) : null;
        rows.add(new Object[] {
          rs.getString(1), rs.getLong(2), instant(rs.getTimestamp(3)), instant(rs.getTimestamp(4)), watermark,
          instant(rs.getTimestamp(7))
        });
      }
    }
    for (Object[] r : rows) {
      String stream = (String) r[0];
      StreamPosition watermark = (StreamPosition) r[4];
      List<StreamStatus.Consumer> list = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT k.consumer, k.xid::text, k.id, k.updated_at, (SELECT count(*) FROM " + events
              + " e WHERE e.stream = k.stream AND (e.xid, e.id) > (k.xid, k.id)) FROM " + consumers
              + " k WHERE k.stream = ? ORDER BY k.consumer")) {
        ps.setString(1, stream);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            StreamPosition p = new StreamPosition(Long.parseLong(rs.getString(2)), rs.getLong(3));
            boolean pruned = watermark != null && !p.isBeginning() && p.compareTo(watermark) < 0;
            list.add(new StreamStatus.Consumer(rs.getString(1), p, rs.getLong(5), instant(rs.getTimestamp(4)), pruned));
          }
        }
      }
      result.add(new StreamStatus(
          stream, (Long) r[1], (Instant) r[2], (Instant) r[3], tail(c, stream), watermark, (Instant) r[5], list));
    }
    return result;
  }

  private static Instant instant(Timestamp t) {
    return t != null ? t.toInstant() : null;
  }

  private static StreamPosition first(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new StreamPosition(Long.parseLong(rs.getString(1)), rs.getLong(2)) : null;
      }
    }
  }

  private static void bind(PreparedStatement ps, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      ps.setObject(i + 1, args[i]);
    }
  }
}
