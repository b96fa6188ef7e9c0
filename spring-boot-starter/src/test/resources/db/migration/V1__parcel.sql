CREATE TABLE parcel (id bigint PRIMARY KEY, label text);
