package io.pgpubsub.internal;

import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.spi.ChannelDefinition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The channels of this listener that {@link io.pgpubsub.ChannelControl} paused, read from {@code
 * pgpubsub_channel_pause} every {@value #REFRESH_MILLIS} ms by a thread of its own (one small query on a pool
 * connection), and what the workers claim as a consequence ({@link #claimable()}): the claim's channel arrays
 * without the paused channels. The claim statements stay exactly as they are (their plans are pinned, see
 * {@link Sql}); only the arrays bound to them change. When a channel is resumed, every worker is woken.
 */
final class ChannelPauses implements Runnable {

  static final long REFRESH_MILLIS = 1_000;

  /**
   * What a claim binds: the rotations of the unordered channels' array, and the ordered channels' arrays
   * ({@link Engine.Ordered}), all without the paused channels.
   */
  record Claimable(Set<String> paused, String[] rotations, String orderedChannels, String orderedBlocking) {}

  private final Engine engine;
  private final String table;
  private volatile Claimable claimable;
  /** The control table exists (checked with to_regclass while it does not). */
  private boolean tableExists;

  ChannelPauses(Engine engine) {
    this.engine = engine;
    this.table = SchemaNames.table(engine.config.schema(), "pgpubsub_channel_pause");
    this.claimable = compute(Set.of());
  }

  Claimable claimable() {
    return claimable;
  }

  /** Reads the paused channels once before the workers start, so that a listener started during a pause waits. */
  void start(Connection c) throws SQLException {
    update(read(c));
  }

  @Override
  public void run() {
    while (!engine.sleepUnlessStopping(REFRESH_MILLIS)) {
      try (Connection c = engine.pool.getConnection()) {
        try {
          Set<String> paused = read(c);
          if (!c.getAutoCommit()) {
            c.commit();
          }
          update(paused);
        } catch (SQLException | RuntimeException e) {
          if (!c.getAutoCommit()) {
            c.rollback();
          }
          throw e;
        }
      } catch (SQLException | RuntimeException e) {
        if (engine.stopping()) {
          return;
        }
        Engine.log.debug("[{}] could not read the paused channels (keeping the last known): {}", engine.name, e.toString());
      }
    }
  }

  private Set<String> read(Connection c) throws SQLException {
    Set<String> paused = new TreeSet<>();
    if (!tableExists) {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          tableExists = rs.getBoolean(1);
        }
      }
      if (!tableExists) {
        return paused;
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT channel FROM " + table + " WHERE channel = ANY(?)")) {
      ps.setQueryTimeout(5);
      ps.setArray(1, c.createArrayOf("text", engine.config.channelNames().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          paused.add(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        tableExists = false; // dropped: nothing is paused
        return paused;
      }
      throw e;
    }
    return paused;
  }

  private void update(Set<String> paused) {
    Set<String> before = claimable.paused();
    if (before.equals(paused)) {
      return;
    }
    claimable = compute(paused);
    for (String ch : paused) {
      if (!before.contains(ch)) {
        Engine.log.info("[{}] channel '{}' is paused: its notifications wait until it is resumed", engine.name, ch);
      }
    }
    boolean resumed = false;
    for (String ch : before) {
      if (!paused.contains(ch)) {
        Engine.log.info("[{}] channel '{}' is resumed", engine.name, ch);
        resumed = true;
      }
    }
    if (resumed) {
      engine.waiter.wakeAll(); // its waiting notifications are claimable again
    }
  }

  private Claimable compute(Set<String> paused) {
    List<ChannelDefinition> channels =
        engine.config.channels().stream().filter(c -> !paused.contains(c.name())).toList();
    Engine.Ordered ordered = engine.ordered;
    List<String> unordered =
        (ordered == null ? channels.stream() : channels.stream().filter(c -> !c.ordered()))
            .map(ChannelDefinition::name)
            .toList();
    String orderedChannels = null;
    String orderedBlocking = null;
    if (ordered != null) {
      orderedChannels =
          Worker.rotations(channels.stream().filter(ChannelDefinition::ordered).map(ChannelDefinition::name).toList())[0];
      orderedBlocking =
          Worker.rotations(
                  channels.stream()
                      .filter(c -> c.ordered() && c.deadKeyPolicy() == DeadKeyPolicy.BLOCK)
                      .map(ChannelDefinition::name)
                      .toList())[0];
    }
    return new Claimable(Set.copyOf(paused), Worker.rotations(unordered), orderedChannels, orderedBlocking);
  }
}
