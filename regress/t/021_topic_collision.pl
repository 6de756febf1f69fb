# Two tables whose names map to one topic ("a.b".c and a."b.c" both give
# <prefix>.a.b.c) never share it.  Present at start-up, they are refused
# (006_slot_rule.pl); the second created while the shipper streams is
# logged, the first keeps the topic, the other's changes fail with an error
# naming both tables and the topic, after every restart of the session, and
# none of its rows reaches the topic.
# Shipped with sink=stdout, no Kafka needed.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('collision');
$node->safe_psql('postgres', q{
	CREATE SCHEMA "a.b";
	CREATE TABLE "a.b".c (id int PRIMARY KEY, origin text);
	SELECT pg_create_logical_replication_slot('collision', 'cellcdc');
	INSERT INTO "a.b".c VALUES (1, 'first');
});

my $sh = start_shipper($node, undef, 'slot.name' => 'collision', sink => 'stdout',
	'topic.prefix' => 'coll', 'log.progress.interval.ms' => '1000', 'errors.max.retries' => '5');
$node->safe_psql('postgres', q{
	CREATE SCHEMA a;
	CREATE TABLE a."b.c" (id int PRIMARY KEY, origin text);
	BEGIN;
	INSERT INTO "a.b".c VALUES (2, 'first');
	INSERT INTO a."b.c" VALUES (1, 'second');
	COMMIT;
});
my $error = 'table "a"."b.c" maps to topic coll.a.b.c, which already carries table "a.b"."c"; '
  . 'rename one of them or exclude one with table.exclude.list';
wait_until(sub { index(shipper_log($sh), $error) >= 0 },
	'the error naming both tables and the topic');
wait_until(sub { shipper_log($sh) =~ /table "a"\."b\.c" is now captured, but its topic coll\.a\.b\.c already carries table "a\.b"\."c"/ },
	'the new table logged as colliding');
# the first table keeps the topic across session restarts, so the second
# keeps failing until the retries run out
$sh->{run}->finish;
is($? >> 8, 5, 'the colliding change fails after every restart: exit status 5');
diag($sh->{err}) unless Test::More->builder->is_passing;

my @lines = split /\n/, $sh->{out};
ok(scalar(@lines) >= 2, 'the first table was shipped');
is(scalar(grep { !/^\{"topic":"coll\.a\.b\.c",/ } @lines), 0, 'to its topic');
is(scalar(grep { /"origin":"second"/ } @lines), 0, 'and no row of the second table went there');
ok(scalar(grep { /"origin":"first"/ } @lines) >= 2, 'the first table rows did');

$node->stop;
done_testing();
