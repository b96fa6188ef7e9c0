package io.pgpubsub.samples.boot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.Streams;
import io.pgpubsub.web.WebChannel;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The live orders board (static/board.html): the shop_order table's changes are captured into the stream
 * {@code shop-orders}, and the channel {@code board} exposes them to browsers at {@code /pgpubsub/events} (the
 * starter mounts the endpoint because this bean exists). Browsers see only the projected columns.
 */
@Configuration(proxyBeanMethods = false)
public class LiveBoard {

  public static final String STREAM = "shop-orders";

  @Bean
  WebChannel<ObjectNode> boardChannel(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      Streams streams = Streams.create("public");
      streams.install(c); // idempotent: the stream tables, then the capture trigger on shop_order
      streams.capture(c, "shop_order", STREAM);
    }
    return WebChannel.rows("board")
        .stream(STREAM)
        .project(WebChannel.columns("id", "customer", "amount", "status"));
  }
}
