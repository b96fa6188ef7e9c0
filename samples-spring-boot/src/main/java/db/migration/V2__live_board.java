package db.migration;

import io.pgpubsub.Streams;
import io.pgpubsub.samples.boot.LiveBoard;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/** The live board's stream: the stream tables (Streams.ddl), and shop_order's changes captured into it. */
public class V2__live_board extends BaseJavaMigration {

  @Override
  public void migrate(Context context) throws Exception {
    Streams streams = Streams.create("public");
    streams.install(context.getConnection());
    streams.capture(context.getConnection(), "shop_order", LiveBoard.STREAM);
  }
}
