-- HOMER 5 capture schema for PostgreSQL, as Kamailio's sipcapture module writes it.
--
-- HOMER 5 keeps one set of tables per day: sip_capture_call_YYYYMMDD,
-- sip_capture_registration_YYYYMMDD and sip_capture_rest_YYYYMMDD. The Kamailio config
-- (kamailio-sipcapture.cfg, route[STORE]) picks the table by method and appends the UTC date.
-- Columns follow the HOMER 5 sip_capture_* layout (see /work/shared/reference/homer.md §3.2);
-- the module (5.6) writes every column but id and expires.
--
-- Deviations from the MySQL original, and why:
--  * msg is bytea in all three tables: the module hands msg to the DB layer as a BLOB, and
--    db_postgres escapes BLOBs as bytea literals; a varchar column would store the escaped
--    text (about twice the size) and reject messages over its width.
--  * No InnoDB compression or RANGE partitions (MySQL features); one plain heap table per day,
--    which is what HOMER 5's own PostgreSQL scripts did for new days.
-- Indexes as in HOMER 5: PK (id, date); ruri_user, from_user, to_user, pid_user, auth_user,
-- callid_aleg, date, callid; method on the call table only.

CREATE OR REPLACE FUNCTION homer5_create_day(day text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  kind text;
  t text;
  col text;
BEGIN
  FOREACH kind IN ARRAY ARRAY['call', 'registration', 'rest'] LOOP
    t := format('sip_capture_%s_%s', kind, day);
    EXECUTE format($ddl$
      CREATE TABLE IF NOT EXISTS %I (
        id               bigserial    NOT NULL,
        date             timestamp    NOT NULL DEFAULT now(),
        micro_ts         bigint       NOT NULL DEFAULT 0,
        method           varchar(50)  NOT NULL DEFAULT '',
        reply_reason     varchar(100) NOT NULL DEFAULT '',
        ruri             varchar(200) NOT NULL DEFAULT '',
        ruri_user        varchar(100) NOT NULL DEFAULT '',
        ruri_domain      varchar(150) NOT NULL DEFAULT '',
        from_user        varchar(100) NOT NULL DEFAULT '',
        from_domain      varchar(150) NOT NULL DEFAULT '',
        from_tag         varchar(64)  NOT NULL DEFAULT '',
        to_user          varchar(100) NOT NULL DEFAULT '',
        to_domain        varchar(150) NOT NULL DEFAULT '',
        to_tag           varchar(64)  NOT NULL DEFAULT '',
        pid_user         varchar(100) NOT NULL DEFAULT '',
        contact_user     varchar(120) NOT NULL DEFAULT '',
        auth_user        varchar(120) NOT NULL DEFAULT '',
        callid           varchar(120) NOT NULL DEFAULT '',
        callid_aleg      varchar(120) NOT NULL DEFAULT '',
        via_1            varchar(256) NOT NULL DEFAULT '',
        via_1_branch     varchar(80)  NOT NULL DEFAULT '',
        cseq             varchar(25)  NOT NULL DEFAULT '',
        diversion        varchar(256) NOT NULL DEFAULT '',
        reason           varchar(200) NOT NULL DEFAULT '',
        content_type     varchar(256) NOT NULL DEFAULT '',
        auth             varchar(256) NOT NULL DEFAULT '',
        user_agent       varchar(256) NOT NULL DEFAULT '',
        source_ip        varchar(60)  NOT NULL DEFAULT '',
        source_port      integer      NOT NULL DEFAULT 0,
        destination_ip   varchar(60)  NOT NULL DEFAULT '',
        destination_port integer      NOT NULL DEFAULT 0,
        contact_ip       varchar(60)  NOT NULL DEFAULT '',
        contact_port     integer      NOT NULL DEFAULT 0,
        originator_ip    varchar(60)  NOT NULL DEFAULT '',
        originator_port  integer      NOT NULL DEFAULT 0,
        expires          integer      NOT NULL DEFAULT -1,
        correlation_id   varchar(256) NOT NULL DEFAULT '',
        custom_field1    varchar(120) NOT NULL DEFAULT '',
        custom_field2    varchar(120) NOT NULL DEFAULT '',
        custom_field3    varchar(120) NOT NULL DEFAULT '',
        proto            integer      NOT NULL DEFAULT 0,
        family           smallint     DEFAULT NULL,
        rtp_stat         varchar(256) NOT NULL DEFAULT '',
        type             integer      NOT NULL DEFAULT 0,
        node             varchar(125) NOT NULL DEFAULT '',
        msg              bytea        NOT NULL DEFAULT '',
        PRIMARY KEY (id, date)
      )$ddl$, t);
    FOREACH col IN ARRAY ARRAY['ruri_user', 'from_user', 'to_user', 'pid_user', 'auth_user',
                               'callid_aleg', 'date', 'callid'] LOOP
      EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (%I)', t || '_' || col, t, col);
    END LOOP;
    IF kind = 'call' THEN
      EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (method)', t || '_method', t);
    END IF;
  END LOOP;
END
$fn$;

-- All capture tables, for counting and sizing.
CREATE OR REPLACE VIEW homer5_capture_tables AS
  SELECT c.oid::regclass AS tbl
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind = 'r'
    AND c.relname ~ '^sip_capture_(call|registration|rest)_[0-9]{8}$';

-- Rows in all capture tables.
CREATE OR REPLACE FUNCTION homer5_count() RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  t regclass;
  n bigint;
  total bigint := 0;
BEGIN
  FOR t IN SELECT tbl FROM homer5_capture_tables LOOP
    EXECUTE 'SELECT count(*) FROM ' || t INTO n;
    total := total + n;
  END LOOP;
  RETURN total;
END
$fn$;
