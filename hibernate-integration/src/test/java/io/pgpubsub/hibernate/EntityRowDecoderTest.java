package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.hibernate.internal.EntityRowDecoder;
import io.pgpubsub.hibernate.model.Address;
import io.pgpubsub.hibernate.model.Animal;
import io.pgpubsub.hibernate.model.Article;
import io.pgpubsub.hibernate.model.Book;
import io.pgpubsub.hibernate.model.Publisher;
import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.hibernate.model.Car;
import io.pgpubsub.hibernate.model.Dimensions;
import io.pgpubsub.hibernate.model.Dog;
import io.pgpubsub.hibernate.model.GeoPoint;
import io.pgpubsub.hibernate.model.Money;
import io.pgpubsub.hibernate.model.OrderLine;
import io.pgpubsub.hibernate.model.OrderLineId;
import io.pgpubsub.hibernate.model.Preferences;
import io.pgpubsub.hibernate.model.Shipment;
import io.pgpubsub.hibernate.model.Status;
import io.pgpubsub.hibernate.model.Truck;
import io.pgpubsub.hibernate.model.Vehicle;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.Hibernate;
import org.hibernate.SessionFactory;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Decodes {@code to_jsonb(row)} of rows Hibernate wrote, and compares the result field by field with what
 * was written and with what Hibernate itself loads.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EntityRowDecoderTest {

  private final ObjectMapper json =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private SessionFactory sf;
  private EntityRowDecoder decoder;
  private TestDatabase db;

  @BeforeAll
  void boot(TestDatabase db) {
    this.db = db;
    sf =
        TestHibernate.build(
            db,
            Map.of(),
            Article.class,
            Author.class,
            OrderLine.class,
            Shipment.class,
            Vehicle.class,
            Car.class,
            Truck.class,
            Animal.class,
            Dog.class,
            Book.class,
            Publisher.class);
    decoder = new EntityRowDecoder(sf.unwrap(SessionFactoryImplementor.class));
  }

  @AfterAll
  void close() {
    if (sf != null) {
      sf.close();
    }
  }

  private ObjectNode row(String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      // a zone with a half-hour offset, so that to_jsonb writes timestamptz with an offset other than +00:00
      s.execute("SET TIME ZONE 'Asia/Kolkata'");
      try (ResultSet rs = s.executeQuery(sql)) {
        assertThat(rs.next()).as("row for " + sql).isTrue();
        return (ObjectNode) json.readTree(rs.getString(1));
      }
    }
  }

  /** What Hibernate itself loads (read-only: a JSON POJO without equals() would look dirty). */
  private <T> T load(Class<T> type, Object id) {
    return sf.fromTransaction(
        s -> {
          s.setDefaultReadOnly(true);
          return s.find(type, id);
        });
  }

  static Article fullArticle() {
    Article a = new Article();
    a.code = "A-1";
    a.title = "Ünïcödé \"quoted\" title";
    a.wordCount = 1234;
    a.nullableCount = null;
    a.views = Long.MAX_VALUE;
    a.bigViews = Long.MIN_VALUE;
    a.shortValue = Short.MIN_VALUE;
    a.byteValue = Byte.MAX_VALUE;
    a.featured = true;
    a.reviewed = false;
    a.ratio = 0.1 + 0.2;
    a.weight = 3.14159f;
    a.price = new BigDecimal("12345678901234567890.123456789012345678");
    a.hugeNumber = new BigInteger("1234567890123456789012345678901234567890");
    a.grade = 'B';
    a.externalId = UUID.fromString("0b0e6e1c-55b5-4f24-9c61-5c3e0d1c7a11");
    a.thumbnail = new byte[] {0, 1, 2, (byte) 0xff, (byte) 0x80, 0x7f, '\\', 'x'};
    a.publishedAt = Instant.parse("2026-11-23T20:07:17.123456Z");
    a.editedAt = OffsetDateTime.parse("2026-11-23T20:07:17.654321Z");
    a.scheduledAt = ZonedDateTime.of(2027, 1, 2, 3, 4, 5, 6000, ZoneOffset.UTC);
    a.localStamp = LocalDateTime.parse("2026-03-29T02:30:00.000001");
    a.issueDate = LocalDate.parse("1999-12-31");
    // Hibernate binds LocalTime through java.sql.Time, which keeps no fraction: write whole seconds
    a.issueTime = LocalTime.parse("23:59:58");
    a.readingTime = Duration.ofDays(2).plusHours(3).plusMinutes(4).plusSeconds(5).plusNanos(6000);
    a.legacyDate = new java.util.Date(1_700_000_000_123L);
    a.ordinalStatus = Status.ARCHIVED;
    a.stringStatus = Status.PUBLISHED;
    a.fee = new Money(new BigDecimal("12.50"), "EUR");
    a.archived = true;
    a.address = new Address("1 Main St", "12345", "Springfield");
    a.billingAddress = new Address("2 Side St", null, "Shelbyville");
    a.location = new GeoPoint(48.8566, 2.3522);
    a.tags.addAll(List.of("x", "y"));
    a.attributes = Map.of("a", 1, "b", "two", "nested", Map.of("ok", true));
    a.preferences = new Preferences("dark", List.of("en", "fr"), 14);
    a.keywords = new String[] {"alpha", "with,comma", "with \"quote\"", null};
    a.scores = List.of(3, 1, 2);
    a.history = new Status[] {Status.DRAFT, Status.PUBLISHED};
    a.ranks = new int[] {3, -1, Integer.MAX_VALUE};
    a.dimensions = new Dimensions(new BigDecimal("21.0"), new BigDecimal("29.7"), "cm", LocalDate.parse("2026-01-31"));
    a.body = "large object";
    return a;
  }

  @Test
  void decodesEveryBasicMappingAsWritten() throws Exception {
    Article written = fullArticle();
    sf.inTransaction(
        s -> {
          Author author = new Author(7L, "Ada");
          s.persist(author);
          written.author = author;
          s.persist(written);
        });

    ObjectNode row = row("select to_jsonb(t) from article t where article_code = 'A-1'");
    assertThat(row.get("published_at").textValue()).isEqualTo("2026-11-24T01:37:17.123456+05:30");
    assertThat(row.get("thumbnail").textValue()).startsWith("\\x0001");
    Article decoded = decoder.decode(Article.class, row);
    Article loaded = load(Article.class, "A-1");

    // what Hibernate itself reads back, field by field (collections and the association aside)
    assertThat(decoded)
        .usingRecursiveComparison()
        .ignoringFields("tags", "author", "body")
        .isEqualTo(loaded);
    // a large object's content is not in the row (only its oid): left null, no error
    assertThat(decoded.body).isNull();
    // what was written, where PostgreSQL keeps it exactly
    assertThat(decoded)
        .usingRecursiveComparison()
        .ignoringFields("tags", "author", "editedAt", "scheduledAt", "version", "legacyDate", "body")
        .isEqualTo(written);
    assertThat(decoded.legacyDate.getTime()).isEqualTo(written.legacyDate.getTime());
    assertThat(decoded.editedAt).isEqualTo(written.editedAt.withOffsetSameInstant(ZoneOffset.UTC));
    assertThat(decoded.scheduledAt.toInstant()).isEqualTo(written.scheduledAt.toInstant());
    assertThat(decoded.price).isEqualTo("12345678901234567890.123456789012345678");
    assertThat(decoded.version).isEqualTo(loaded.version);

    // @ElementCollection: not in the row, keeps the constructor's empty list, no error
    assertThat(decoded.tags).isEmpty();
    // @ManyToOne: an uninitialized reference carrying the id, no query
    assertThat(decoded.author).isNotNull();
    assertThat(Hibernate.isInitialized(decoded.author)).isFalse();
    assertThat(decoded.author.getId()).isEqualTo(7L);
  }

  @Test
  void nullsStayNull() throws Exception {
    Article a = new Article();
    a.code = "EMPTY";
    a.grade = 'A'; // a char column cannot hold NUL in PostgreSQL
    sf.inTransaction(s -> s.persist(a));
    Article decoded = decoder.decode(Article.class, row("select to_jsonb(t) from article t where article_code = 'EMPTY'"));
    Article loaded = load(Article.class, "EMPTY");
    assertThat(decoded).usingRecursiveComparison().ignoringFields("tags").isEqualTo(loaded);
    assertThat(decoded.address).isNull();
    assertThat(decoded.location).isNull();
    assertThat(decoded.author).isNull();
    assertThat(decoded.fee).isNull();
    assertThat(decoded.attributes).isNull();
  }

  @Test
  void compositeIdentifiers() throws Exception {
    sf.inTransaction(
        s -> {
          OrderLine line = new OrderLine(new OrderLineId(42L, 3), "widget", 9);
          s.persist(line);
          Shipment sh = new Shipment();
          sh.carrier = "UPS";
          sh.trackingNumber = "1Z999";
          sh.parcels = 2;
          sh.line = line;
          s.persist(sh);
        });
    OrderLine line = decoder.decode(OrderLine.class, row("select to_jsonb(t) from order_line t"));
    assertThat(line.id).isEqualTo(new OrderLineId(42L, 3));
    assertThat(line.product).isEqualTo("widget");
    assertThat(line.quantity).isEqualTo(9);

    Shipment sh = decoder.decode(Shipment.class, row("select to_jsonb(t) from shipment t"));
    assertThat(sh.carrier).isEqualTo("UPS");
    assertThat(sh.trackingNumber).isEqualTo("1Z999");
    assertThat(sh.parcels).isEqualTo(2);
    assertThat(Hibernate.isInitialized(sh.line)).isFalse();
    assertThat(((org.hibernate.proxy.HibernateProxy) sh.line).getHibernateLazyInitializer().getIdentifier())
        .isEqualTo(new OrderLineId(42L, 3));
  }

  @Test
  void singleTableInheritanceDecodesTheConcreteSubclass() throws Exception {
    sf.inTransaction(
        s -> {
          Car car = new Car();
          car.id = 1L;
          car.plate = "CAR-1";
          car.seats = 5;
          s.persist(car);
          Truck truck = new Truck();
          truck.id = 2L;
          truck.plate = "TRK-2";
          truck.payloadTons = 7.5;
          s.persist(truck);
        });
    Vehicle car = decoder.decode(Vehicle.class, row("select to_jsonb(t) from vehicle t where id = 1"));
    assertThat(car).isInstanceOf(Car.class);
    assertThat(car.plate).isEqualTo("CAR-1");
    assertThat(((Car) car).seats).isEqualTo(5);
    Vehicle truck = decoder.decode(Vehicle.class, row("select to_jsonb(t) from vehicle t where id = 2"));
    assertThat(truck).isInstanceOf(Truck.class);
    assertThat(((Truck) truck).payloadTons).isEqualTo(7.5);
  }

  @Test
  void joinedSubclassTableHoldsIdAndOwnAttributes() throws Exception {
    sf.inTransaction(
        s -> {
          Dog dog = new Dog();
          dog.id = 11L;
          dog.name = "Rex";
          dog.breed = "collie";
          dog.goodBoy = true;
          s.persist(dog);
        });
    // the trigger of a joined subclass sits on the subclass's own table: id (under its own column name) and
    // the subclass's attributes; the root table's attributes are not in the row
    Dog dog = decoder.decode(Dog.class, row("select to_jsonb(t) from dog t"));
    assertThat(dog.id).isEqualTo(11L);
    assertThat(dog.breed).isEqualTo("collie");
    assertThat(dog.goodBoy).isTrue();
    assertThat(dog.name).isNull();

    // the root table: rows decode as the root class with the root table's attributes
    Animal animal = decoder.decode(Animal.class, row("select to_jsonb(t) from animal t"));
    assertThat(animal.id).isEqualTo(11L);
    assertThat(animal.name).isEqualTo("Rex");
  }

  @Test
  void referencesOfEveryKind() throws Exception {
    sf.inTransaction(
        s -> {
          Publisher p = new Publisher();
          p.id = 5;
          p.name = "Acme Press";
          s.persist(p);
          s.persist(new Author(21L, "Wordsworth"));
          s.persist(new Author(22L, "Perkins"));
          Book b = new Book();
          b.isbn = 9780000000001L;
          b.publisher = p;
          b.writer = s.find(Author.class, 21L);
          b.editor = s.find(Author.class, 22L);
          s.persist(b);
        });
    Book book = decoder.decode(Book.class, row("select to_jsonb(t) from book t"));
    // a final class cannot be proxied: a plain instance with only the id
    assertThat(book.publisher).isExactlyInstanceOf(Publisher.class);
    assertThat(book.publisher.id).isEqualTo(5);
    assertThat(book.publisher.name).isNull();
    // a foreign key to a non-primary-key column: an instance with that attribute set
    assertThat(book.writer.getName()).isEqualTo("Wordsworth");
    assertThat(book.writer.getId()).isNull();
    // owning one-to-one: a detached, uninitialized proxy
    assertThat(Hibernate.isInitialized(book.editor)).isFalse();
    assertThat(book.editor.getId()).isEqualTo(22L);
  }

  @Test
  void honoursTheJdbcTimeZone() throws Exception {
    // Hibernate writes and reads a LocalDateTime through a Calendar in hibernate.jdbc.time_zone: the stored
    // value is shifted, and the decoder must shift it back exactly as Hibernate's reader does
    String zone = java.util.TimeZone.getDefault().getID().equals("Asia/Tokyo") ? "America/Lima" : "Asia/Tokyo";
    try (TestDatabase other = io.pgpubsub.testing.PostgresServer.get().createDatabase("jdbc_tz");
        SessionFactory tzf =
            TestHibernate.build(
                other,
                Map.of("hibernate.jdbc.time_zone", zone, PubSubSettings.ENABLED, "false"),
                Book.class,
                Publisher.class,
                Author.class)) {
      LocalDateTime printed = LocalDateTime.parse("2026-06-30T23:30:00.123456");
      tzf.inTransaction(
          s -> {
            Book b = new Book();
            b.isbn = 1L;
            b.printedAt = printed;
            s.persist(b);
          });
      ObjectNode row;
      try (Connection c = other.connect();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("select to_jsonb(t) from book t")) {
        rs.next();
        row = (ObjectNode) json.readTree(rs.getString(1));
      }
      assertThat(row.get("printed_at").textValue()).as("stored shifted").isNotEqualTo("2026-06-30T23:30:00.123456");
      Book decoded = new EntityRowDecoder(tzf.unwrap(SessionFactoryImplementor.class)).decode(Book.class, row);
      assertThat(decoded.printedAt).isEqualTo(printed);
    }
  }

  @Test
  void toleratesSchemaDrift() throws Exception {
    ObjectNode row = json.createObjectNode();
    row.put("article_code", "DRIFT");
    row.put("title", "t");
    row.put("column_added_later", 5);
    // word_count missing: default kept
    Article a = decoder.decode(Article.class, row);
    assertThat(a.code).isEqualTo("DRIFT");
    assertThat(a.title).isEqualTo("t");
    assertThat(a.wordCount).isZero();
  }

  @Test
  void decodeErrorsNameEntityColumnAndValueType() {
    ObjectNode row = json.createObjectNode();
    row.put("article_code", "BAD");
    row.put("word_count", "not a number");
    assertThatThrownBy(() -> decoder.decode(Article.class, row))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("word_count")
        .hasMessageContaining(Article.class.getName())
        .hasMessageContaining("JSON string");

    ObjectNode overflow = json.createObjectNode();
    overflow.put("article_code", "BAD");
    overflow.put("short_value", 1_000_000);
    assertThatThrownBy(() -> decoder.decode(Article.class, overflow))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("short_value")
        .hasMessageContaining("JSON number");
  }

  @Test
  void specialValues() throws Exception {
    ObjectNode row = json.createObjectNode();
    row.put("article_code", "SPECIAL");
    row.put("ratio", "NaN");
    row.put("weight", "-Infinity");
    row.put("local_stamp", "infinity");
    row.put("issue_date", "-infinity");
    Article a = decoder.decode(Article.class, row);
    assertThat(a.ratio).isNaN();
    assertThat(a.weight).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(a.localStamp).isNotNull();
    assertThat(a.issueDate).isNotNull();
  }
}
