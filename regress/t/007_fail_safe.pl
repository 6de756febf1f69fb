# Bad days: a record that fails the same way every time stops the shipper
# loudly after errors.max.retries (or goes to the dead-letter topic with
# errors.tolerance=all); a fast restart of PostgreSQL with Kafka down
# completes at once and loses nothing; Unix manners (EPIPE, SIGHUP,
# application_name); logs one line per event, as text or JSON, with a
# periodic progress line.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;
use Time::HiRes qw(time);

my $node = start_node('failsafe');
$node->safe_psql('postgres', q{
	CREATE TABLE ledger (id int PRIMARY KEY, note text);
	CREATE TABLE nums (id int PRIMARY KEY, n numeric);
	CREATE TABLE big (id int PRIMARY KEY, body text);
});
my $mock = start_mock('emp-test.public.ledger:3', 'emp-test.public.nums:1',
	'emp-test.public.big:1', 'emp-test.dlq:1');

sub current_lsn { $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'") }

sub keys_in
{
	my ($topic) = @_;
	return [ split /\n/, kcat($mock, '-C', '-t', $topic, '-e', '-q', '-f', '%k\n') ];
}

# Create each slot before the rows it must see exist.
sub create_slot
{
	$node->safe_psql('postgres', "SELECT pg_create_logical_replication_slot('$_', 'cellcdc')")
	  for @_;
}
create_slot('nan', 'size', 'dlq', 'message');
$node->safe_psql('postgres', q{
	INSERT INTO nums VALUES (1, 'NaN');
	INSERT INTO big VALUES (1, repeat('x', 200000));
	INSERT INTO ledger VALUES (1, 'after the poison');
});

# 1. numeric NaN in precise mode: the same failure, retried with a growing
# backoff, then exit 5 naming the table, the LSN and the settings.
my ($rc, $err) = run_shipper($node, $mock, 'slot.name' => 'nan',
	'table.include.list' => 'public.nums', 'errors.max.retries' => '2');
is($rc, 5, 'NaN in precise mode: exit status 5 after the retries');
like($err, qr/public\.nums.* at LSN [0-9A-F]+\/[0-9A-F]+.*decimal\.handling\.mode/,
	'the line names the table, the LSN and the setting that carries NaN');
like($err, qr/failed 3 times in a row at this position, stopping \(errors\.max\.retries=2/,
	'and the retry limit');
my @waits = $err =~ /restarting from \S+ in (\d+) ms/g;
is_deeply(\@waits, [ 100, 200 ], 'the backoff grows for the same failure');

# 2. A message over the producer's limit: said before it is sent, then exit 5.
($rc, $err) = run_shipper($node, $mock, 'slot.name' => 'size',
	'table.include.list' => 'public.big', 'errors.max.retries' => '1',
	'kafka.message.max.bytes' => '100000');
is($rc, 5, 'an oversized row: exit status 5');
like($err, qr/emp-test\.public\.big \(key \{.*"id":1\}\) at LSN .*is \d{6} bytes, over the producer's limit of 100000 \(kafka\.message\.max\.bytes\)/,
	'naming the topic, the key, the LSN, the size and the limit');
is(scalar(@{ keys_in('emp-test.public.big') }), 0, 'nothing was sent');

# ... and one outside any transaction (a non-transactional logical message)
# is not confirmed over either: exit 5, the slot still before it.
my $message_lsn = $node->safe_psql('postgres',
	"SELECT pg_logical_emit_message(false, 'big', repeat('m', 200000)) - '0/0'");
($rc, $err) = run_shipper($node, $mock, 'slot.name' => 'message',
	'table.include.list' => 'public.ledger', 'errors.max.retries' => '1',
	'kafka.message.max.bytes' => '100000');
is($rc, 5, 'an oversized non-transactional message: exit status 5');
like($err, qr/emp-test\.message .*over the producer's limit/, 'naming its topic and the limit');
ok(slot_confirmed($node, 'message') < $message_lsn, 'and the slot was not confirmed over it');

# 3. errors.tolerance=all: all three go to the dead-letter topic, the stream
# goes on.
my $sh = start_shipper($node, $mock, 'slot.name' => 'dlq',
	'table.include.list' => 'public.nums,public.big,public.ledger',
	'kafka.message.max.bytes' => '100000', 'errors.tolerance' => 'all',
	'errors.deadletterqueue.topic.name' => 'emp-test.dlq');
# (the slot "message" above may have sent the ledger row too: count this slot's)
wait_until(sub {
	grep { $_->{headers}{'cellcdc.source'} =~ m{/dlq$} }
	  @{ kcat_messages($mock, 'emp-test.public.ledger') };
}, 'the row after the poison');
my @dead = map { decode_json($_) }
  split /\n/, kcat($mock, '-C', '-t', 'emp-test.dlq', '-e', '-q', '-f', '%s\n');
is(scalar(@dead), 3, 'three changes dead-lettered');
is($dead[0]{table}, 'public.nums', 'the NaN row, by table');
like($dead[0]{error}, qr/NaN/, 'with its error');
is($dead[1]{topic}, 'emp-test.public.big', 'the oversized row, by topic');
ok($dead[1]{size} > 100000, 'with its size');
like($dead[1]{lsn}, qr/^[0-9A-F]+\/[0-9A-F]+$/, 'and its LSN');
is($dead[2]{topic}, 'emp-test.message', 'the oversized logical message, by topic');
like(shipper_log($sh), qr/dead-lettered a change to .*public\.nums/, 'each one logged');
is(stop_shipper($sh), 0, 'stopped');

# 4. A fast restart of PostgreSQL with every broker down completes within
# 10 s, and nothing is lost once Kafka is back.
$sh = start_shipper($node, $mock, 'slot.name' => 'restart', 'table.include.list' => 'public.ledger,public.doomed',
	'log.format' => 'json', 'log.progress.interval.ms' => '1000',
	'database.conninfo' => $node->connstr('postgres') . ' application_name=cell_bos_7');
is($node->safe_psql('postgres',
	"SELECT application_name FROM pg_stat_replication WHERE application_name = 'cell_bos_7'"),
	'cell_bos_7', 'application_name from the conninfo names the shipper');
mock_control($mock, "down $_") for 1 .. 3;
$node->safe_psql('postgres',
	"INSERT INTO ledger SELECT g, 'outage' FROM generate_series(2, 501) g");
my $end = current_lsn();
wait_until(sub {
	$node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_replication WHERE sent_lsn - '0/0' >= $end") eq '1';
}, 'the walsender sent the rows');
my $t0 = time;
$node->restart;
my $took = time - $t0;
ok($took < 10, sprintf('fast restart with Kafka down took %.1f s', $took));
mock_control($mock, "up $_") for 1 .. 3;
$node->safe_psql('postgres', "INSERT INTO ledger VALUES (502, 'after the restart')");
$end = current_lsn();
wait_until(sub { slot_confirmed($node, 'restart') >= $end }, 'confirmed after the restart');
my %distinct = map { $_ => 1 } @{ keys_in('emp-test.public.ledger') };
is(scalar(keys %distinct), 502, 'no row lost');

# A captured table dropped while streaming is logged (at the next progress
# line; the log is JSON here, so its quotes are escaped).
$node->safe_psql('postgres', 'CREATE TABLE doomed (id int PRIMARY KEY)');
wait_until(sub { shipper_log($sh) =~ /table \\"public\\"\.\\"doomed\\" is now captured/ }, 'a new table logged');
$node->safe_psql('postgres', 'DROP TABLE doomed');
wait_until(sub { shipper_log($sh) =~ /captured table \\"public\\"\.\\"doomed\\" was dropped/ }, 'a dropped table logged');

# 5. SIGHUP is logged and survived.
$sh->{run}->signal('HUP');
wait_until(sub { shipper_log($sh) =~ /SIGHUP/ }, 'SIGHUP logged');
ok($sh->{run}->pumpable, 'the shipper survives SIGHUP');
wait_until(sub { shipper_log($sh) =~ /"msg":"progress: \d+ messages/ }, 'a progress line');
is(stop_shipper($sh), 0, 'stopped');
my @lines = split /\n/, $sh->{err};
my @json = grep { defined } map { eval { decode_json($_) } } @lines;
is(scalar(@json), scalar(@lines), 'log.format=json: every line is one JSON object');
is(scalar(grep { $_->{time} =~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ && $_->{slot} eq 'restart'
	  && $_->{level} =~ /^(info|warn|error)$/ } @json), scalar(@json),
	'each with UTC time, level and slot');
like($sh->{err}, qr/PostgreSQL closed the shipper's connections/, 'the restart was logged');

# 6. sink=stdout | head -1 returns at once (EPIPE stops the shipper).
my ($out, $perr) = ('', '');
my $file = ShipperTest::properties_file($node, undef, 'slot.name' => 'pipe', 'sink' => 'stdout',
	'table.include.list' => 'public.ledger', 'snapshot.mode' => 'no_data');
my $pipe = IPC::Run::start([ $ShipperTest::shipper, '-c', $file ], '2>', \$perr, '|',
	[ 'head', '-1' ], '>', \$out, IPC::Run::timeout(60));
wait_until(sub { $pipe->pump_nb; $perr =~ /streaming slot/ }, 'piped shipper streaming');
$node->safe_psql('postgres', "INSERT INTO ledger VALUES (600 + $_, 'piped')") for 1 .. 3;
ok(eval { $pipe->finish; 1 }, '| head -1 returns');
is(($pipe->full_results)[0] >> 8, 0, 'the shipper exits 0');
like($perr, qr/stdout was closed by its reader; stopping/, 'saying why');
is(scalar(() = $out =~ /\n/g), 1, 'head printed one line');

# What head never read is not confirmed: the next run on the slot gets it.
my $again = start_shipper($node, undef, 'slot.name' => 'pipe', 'sink' => 'stdout',
	'table.include.list' => 'public.ledger');
wait_until(sub { shipper_log($again); $again->{out} =~ /"id":603\}/ }, 'the unread rows again');
like($again->{out}, qr/"id":602\}.*"id":603\}/s, 'rows written after the reader left are not lost');
is(stop_shipper($again), 0, 'stopped');

$node->stop;
mock_control($mock, 'quit');
done_testing();
