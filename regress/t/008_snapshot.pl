# Snapshots, initial and incremental, while inserts, updates and deletes go
# on: every existing row arrives as op "r", read by two connections in key
# ranges, and the stream follows on from the slot's consistent point; an
# incremental snapshot reads chunks between watermarks while streaming.
# After each, replaying each topic per key (as kcat reads it) gives exactly
# the table, and no key's history loses, doubles or undoes a change.  Also:
# tables without a key or without privilege, kill -9 and SIGTERM during both
# kinds (each goes on from where it was, no range read twice), initial_only,
# when_needed healing a dropped slot, a table added to the include list.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use JSON::PP;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('snapshot');
my $mock = start_mock();
# small enough that no topic outgrows what the mock broker keeps (README)
my $rows = 30000;

$node->safe_psql('postgres', qq{
	CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL, s text);
	INSERT INTO acct SELECT i, 0, md5(i::text) FROM generate_series(1, $rows) i;
	ANALYZE acct;
	CREATE TABLE pair (a int, b text, c int NOT NULL, PRIMARY KEY (a, b));
	INSERT INTO pair SELECT i % 100, 'k' || i, 0 FROM generate_series(1, 3000) i;
	CREATE TABLE loose (x int, y text);
	INSERT INTO loose SELECT i, 'y' || i FROM generate_series(1, 50) i;
	CREATE TABLE vacant (id int PRIMARY KEY);
	CREATE TABLE zsecret (id int PRIMARY KEY);
	INSERT INTO zsecret VALUES (1);
	CREATE ROLE shipper LOGIN REPLICATION;
	GRANT SELECT ON acct, pair, loose, vacant TO shipper;
	CREATE TABLE churn_ctl (stop bool);
	INSERT INTO churn_ctl VALUES (false);
	-- one transaction at a time until told to stop; every update adds 1, so
	-- a key's values in Kafka must count up by one from its snapshot read
	CREATE PROCEDURE churn(seed int) LANGUAGE plpgsql AS \$\$
	DECLARE i int := seed;
	BEGIN
		WHILE NOT (SELECT stop FROM churn_ctl) LOOP
			i := i + 1;
			UPDATE acct SET v = v + 1 WHERE id = 1 + (i::int8 * 7919) % $rows;
			UPDATE acct SET v = v + 1 WHERE id = 1 + (i * 31) % 2000;
			DELETE FROM acct WHERE id = 1 + (i::int8 * 104729) % $rows;
			INSERT INTO acct VALUES ($rows + i, 0, 'new');
			UPDATE pair SET c = c + 1 WHERE a = i % 100 AND b = 'k' || (i * 13 % 3000 + 1);
			COMMIT;
			PERFORM pg_sleep(0.001);
		END LOOP;
	END \$\$;
});
my @common = ('database.conninfo' => $node->connstr('postgres') . ' user=shipper',
	'table.exclude.list' => 'public.churn_ctl',
	'key.converter.schemas.enable' => 'false', 'value.converter.schemas.enable' => 'false');

# Start churning; returns the session, to be stopped with stop_churn.
sub start_churn
{
	my ($seed) = @_;
	$node->safe_psql('postgres', 'UPDATE churn_ctl SET stop = false');
	my $bg = $node->background_psql('postgres');
	$bg->query_until(qr/churning/, "\\echo churning\nCALL churn($seed);\n\\echo churned\n");
	my $start = $node->safe_psql('postgres', 'SELECT max(id) FROM acct');
	wait_until(sub { $node->safe_psql('postgres', 'SELECT max(id) FROM acct') > $start + 100 },
		'churn going');
	return $bg;
}

sub stop_churn
{
	my ($bg) = @_;
	$node->safe_psql('postgres', 'UPDATE churn_ctl SET stop = true');
	$bg->query_until(qr/churned/, '');
	$bg->quit;
}

# Replay a topic per key (one key is in one partition, in order) and check
# each key's history: a read never goes back, an update counts up by one
# from the value before it (a key not read yet may be updated first: an
# incremental snapshot reads it later), a key is not created twice, no
# message is there twice.  Returns the state (key => row), the problems, and
# the reads by marker.
sub replay
{
	my ($topic, $counter) = @_;
	my (%state, %seen, %reads, @problems);
	for my $m (@{ kcat_messages($mock, $topic) })
	{
		next unless defined $m->{value};    # a tombstone
		my ($op) = $m->{value} =~ /"op":"(\w)"/;
		my ($after) = $m->{value} =~ /"after":(\{[^{}]*\}|null)/;
		my %row;
		$row{$1} = $2 // $3 while $after =~ /"(\w+)":(?:"([^"]*)"|([^,}]*))/g;
		my $key = $m->{key} // $after;
		my $at = "$m->{headers}{'cellcdc.commit_lsn'}/$m->{headers}{'cellcdc.seq'}";
		push @problems, "$key: twice at $at" if $seen{"$key $at"}++;
		my $before = $state{$key};
		if ($op eq 'r')
		{
			$reads{$1}++ if $m->{value} =~ /"snapshot":"([a-z_]+)"/;
			$reads{original}++ if defined $row{id} && $row{id} <= $rows;
			push @problems, "$key: read $row{$counter} after $before->{$counter}"
			  if $before && $row{$counter} < $before->{$counter};
			$state{$key} = \%row;
		}
		elsif ($op eq 'u')
		{
			push @problems, "$key: update to $row{$counter} after $before->{$counter}"
			  if $before && $row{$counter} != $before->{$counter} + 1;
			$state{$key} = \%row;
		}
		elsif ($op eq 'c')
		{
			push @problems, "$key: created twice" if $before;
			$state{$key} = \%row;
		}
		elsif ($op eq 'd')
		{
			delete $state{$key};
		}
	}
	return (\%state, \@problems, \%reads);
}

# The key ranges the slot's record in Kafka says are left: [lo, hi) pairs.
sub ranges_left
{
	my ($slot) = @_;
	my $last;
	for my $m (@{ kcat_messages($mock, 'cellcdc-offsets') })
	{
		$last = $m->{value} if defined $m->{key} && $m->{key} =~ /"slot":"\Q$slot\E"/;
	}
	return [ map { [ $_->{lo} ? $_->{lo}[0] : 0, $_->{hi} ? $_->{hi}[0] : 1e18 ] }
		  grep { $_->{table} eq 'public.acct' } @{ decode_json($last)->{pending} } ];
}

# After an interrupted snapshot went on: no row was read twice, neither
# outside the ranges left nor inside them (their rows Kafka had are not
# sent again), and the ranges left were read again.
sub read_once
{
	my ($topic, $left, $label, $log) = @_;
	my %reads;
	for my $m (@{ kcat_messages($mock, $topic) })
	{
		$reads{$1}++ if defined $m->{value} && $m->{value} =~ /"op":"r".*/ &&
		  $m->{value} =~ /"after":\{"id":(\d+),/ && $1 <= $rows;
	}
	my @twice = grep { $reads{$_} > 1 } keys %reads;
	is(scalar(@twice), 0, "$label: no row was read twice (" . scalar(@$left) . ' ranges left)')
	  or diag('read twice: ' . join(' ', (sort { $a <=> $b } @twice)[0 .. 9]));
	cmp_ok(scalar(@$left), '<', 8, "$label: some ranges were in Kafka before");
	like($log, qr/read back what Kafka holds of the \d+ key ranges? the initial snapshot left/,
		"$label: the ranges' reads were read back from Kafka");
}

# The topic replayed must be the table: no key missing, none extra, none stale.
sub matches_table
{
	my ($prefix, $label, $log) = @_;
	my ($acct, $acct_problems, $acct_reads) = replay("$prefix.public.acct", 'v');
	my %table = map { my ($id, $v, $s) = split /\|/; ($id => "$v|$s") }
	  split /\n/, $node->safe_psql('postgres', 'SELECT id, v, s FROM acct');
	my ($missing, $extra, $stale) = (0, 0, 0);
	for my $key (keys %$acct)
	{
		my $id = $acct->{$key}{id};
		if (!exists $table{$id}) { $extra++; next; }
		$stale++ if $table{$id} ne "$acct->{$key}{v}|$acct->{$key}{s}";
	}
	$missing = scalar(keys %table) - (scalar(keys %$acct) - $extra);
	my %have = map { ($acct->{$_}{id} => 1) } keys %$acct;
	my @gone = sort { $a <=> $b } grep { !$have{$_} } keys %table;
	diag("missing ids: @gone[0 .. ($#gone > 20 ? 20 : $#gone)] ... $gone[-1]") if @gone;
	is("$missing missing, $extra extra, $stale stale", '0 missing, 0 extra, 0 stale',
		"$label: acct replayed from Kafka is the table (" . scalar(keys %table) . ' rows)')
	  or diag($log // '');
	is(join("\n", @$acct_problems[0 .. ($#$acct_problems > 4 ? 4 : $#$acct_problems)]), '',
		"$label: every acct key's history is whole (" . scalar(@$acct_problems) . ' problems)');

	my ($pair, $pair_problems) = replay("$prefix.public.pair", 'c');
	my $sum = 0;
	$sum += $_->{c} for values %$pair;
	is(scalar(keys %$pair) . " keys, sum $sum",
		'3000 keys, sum ' . $node->safe_psql('postgres', 'SELECT sum(c) FROM pair'),
		"$label: pair (composite key) replayed is the table");
	is(scalar(@$pair_problems), 0, "$label: every pair key's history is whole");
	return $acct_reads->{original};
}

# 1. Two connections, key ranges, small chunks, while the churn goes on.
my $bg = start_churn(0);
my $sh = start_shipper($node, $mock, @common, 'slot.name' => 'snap',
	'snapshot.max.threads' => '2', 'snapshot.fetch.size' => '997',
	'log.progress.interval.ms' => '1000');
stop_churn($bg);
my $end = $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'");
wait_until(sub { slot_confirmed($node, 'snap') >= $end }, 'the churn streamed');
is(stop_shipper($sh), 0, 'stopped');
my $log = $sh->{err};
like($log, qr/created replication slot "snap" at \S+, with a snapshot of that point/,
	'the slot exported its snapshot');
like($log, qr/snapshot of 5 tables \(about \d+ rows\) at LSN \S+ with 2 connections/,
	'read by two connections');
like($log, qr/snapshot of public\.acct: 8 key ranges/, 'the large table split into key ranges');
like($log, qr/snapshot of public\.loose: no primary key, so read whole/,
	'a table without a primary key is read whole, and said so');
like($log, qr/ERROR .*snapshot of public\.zsecret failed: the shipper's role may not read it: GRANT SELECT ON public\.zsecret TO shipper; its existing rows are not in Kafka \(once the cause is fixed: SELECT cellcdc\.request_snapshot\('public\.zsecret'\)\)/,
	'a table without SELECT privilege fails alone, saying what to do');
like($log, qr/snapshot done: \d+ rows of 4 tables/, 'the others are done');
like($log, qr/snapshot: \d+ rows(?: of about \d+)?, \d+ rows\/s/, 'progress was logged');
matches_table('emp-test', 'snapshot with churn');

my @reads = grep { defined $_->{value} && $_->{value} =~ /"op":"r"/ }
  map { @{ kcat_messages($mock, "emp-test.public.$_") } } qw(acct loose pair);
my %marks;
for my $read (@reads)
{
	$marks{$1}++ if $read->{value} =~ /"snapshot":"([a-z_]+)"/;
}
is(join(',', map { "$_=$marks{$_}" } sort keys %marks),
	'first=1,first_in_data_collection=2,last_in_data_collection=3,true=' . (scalar(@reads) - 6),
	'source.snapshot markers as Debezium sets them (no "last": the last table failed)');
is(scalar(grep { $_->{headers}{'cellcdc.seq'} eq '0' } @reads), scalar(@reads),
	'reads carry seq 0');
is(scalar(grep { !defined $_->{key} } @{ kcat_messages($mock, 'emp-test.public.loose') }), 50,
	'the rows without a key have null keys');
is(scalar(@{ kcat_messages($mock, 'emp-test.public.zsecret') }), 0,
	'nothing was sent for the table that failed');

# The interruptions below read one row per query, so that the snapshot
# lasts seconds and the signal lands in the middle of it on any machine.

# 2. kill -9 during the snapshot, half way: the next start keeps the slot
# (its consistent point), streams from there, and reads only the key ranges
# not in Kafka yet, incrementally.
$bg = start_churn(1_000_000);
my $victim = IPC::Run::start([ $ShipperTest::shipper, '-c',
		ShipperTest::properties_file($node, $mock, @common, 'topic.prefix' => 'k9',
			'slot.name' => 'k9', 'snapshot.max.threads' => '2', 'snapshot.fetch.size' => '1') ],
	'>', \my $vout, '2>', \my $verr);
wait_until(sub { topic_count($mock, 'k9.public.acct') >= $rows / 2 }, 'the snapshot half way');
$victim->signal('KILL');
$victim->finish;
my $left = ranges_left('k9');
$sh = start_shipper($node, $mock, @common, 'topic.prefix' => 'k9', 'slot.name' => 'k9');
like($sh->{err}, qr/the initial snapshot of slot "k9" did not finish: \d+ key ranges? (is|are) not in Kafka yet; streaming from its consistent point while an incremental snapshot reads/,
	'kill -9 during the snapshot: it goes on from where it was');
wait_until(sub { shipper_log($sh) =~ /incremental snapshots: all done/ }, 'the ranges left read');
stop_churn($bg);
$end = $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'");
wait_until(sub { slot_confirmed($node, 'k9') >= $end }, 'the churn streamed after kill -9');
is(stop_shipper($sh), 0, 'stopped');
matches_table('k9', 'after kill -9', $verr . $sh->{err});
read_once('k9.public.acct', $left, 'after kill -9', $verr . $sh->{err});

# 3. SIGTERM during the snapshot: a clean stop that records what is left.
$sh = { out => '', err => '' };
$sh->{run} = IPC::Run::start([ $ShipperTest::shipper, '-c',
		ShipperTest::properties_file($node, $mock, @common, 'topic.prefix' => 'term',
			'slot.name' => 'term', 'snapshot.max.threads' => '2', 'snapshot.fetch.size' => '1') ],
	'>', \$sh->{out}, '2>', \$sh->{err});
wait_until(sub { topic_count($mock, 'term.public.acct') >= $rows / 2 }, 'the snapshot half way');
is(stop_shipper($sh), 0, 'SIGTERM during the snapshot: exit 0');
like($sh->{err}, qr/stopped during the snapshot; the next start goes on with what is left/,
	'saying what happens next');
$left = ranges_left('term');
$sh = start_shipper($node, $mock, @common, 'topic.prefix' => 'term', 'slot.name' => 'term');
like($sh->{err}, qr/the initial snapshot of slot "term" did not finish: \d+ key ranges? (is|are) not in Kafka yet/,
	'the next start goes on');
wait_until(sub { shipper_log($sh) =~ /incremental snapshots: all done/ }, 'the ranges left read');
is(stop_shipper($sh), 0, 'stopped');
matches_table('term', 'after SIGTERM', $sh->{err});
read_once('term.public.acct', $left, 'after SIGTERM', $sh->{err});

# 4. initial_only: a snapshot of now, no slot, exit 0.
my ($rc, $err) = run_shipper($node, $mock, @common,
	'topic.prefix' => 'only', 'slot.name' => 'only', 'snapshot.mode' => 'initial_only');
is($rc, 0, 'initial_only: exit 0');
like($err, qr/snapshot\.mode=initial_only: the snapshot is in Kafka; exiting without streaming/,
	'saying so');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'only'"),
	'0', 'no slot is left behind');
matches_table('only', 'initial_only');

# 5. when_needed: a slot dropped while the shipper was stopped heals itself.
$node->safe_psql('postgres', "SELECT pg_drop_replication_slot('snap')");
$node->safe_psql('postgres', 'UPDATE acct SET v = v + 1 WHERE id <= 10');
$sh = start_shipper($node, $mock, @common, 'slot.name' => 'snap',
	'snapshot.mode' => 'when_needed', 'topic.prefix' => 'healed');
like($sh->{err}, qr/WARN .*slot "snap" does not exist, but this shipper created it .*snapshot\.mode=when_needed takes a new snapshot/,
	'when_needed: the gap is named, and healed');
is(stop_shipper($sh), 0, 'stopped');
matches_table('healed', 'when_needed');

# 7. Incremental snapshots while streaming and churning: the whole table
# from SQL, part of one from the command line, and a stop.
$sh = start_shipper($node, $mock, @common, 'slot.name' => 'snap', 'topic.prefix' => 'healed',
	'incremental.snapshot.chunk.size' => '997', 'log.progress.interval.ms' => '1000');
$bg = start_churn(2_000_000);
$node->safe_psql('postgres', "SELECT cellcdc.request_snapshot('acct')");
($rc, $err) = run_shipper($node, $mock, @common, 'slot.name' => 'snap',
	'-' => [ '--snapshot', 'public.pair', '--filter', 'a < 10' ]);
is($rc, 0, '--snapshot with --filter: exit 0');
like($err, qr/asked the shipper of slot "snap" to snapshot public\.pair \(request at LSN \S+\)/,
	'saying what it asked');
wait_until(sub { shipper_log($sh) =~ /incremental snapshots: all done/ }, 'both read');
stop_churn($bg);
$end = $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'");
wait_until(sub { slot_confirmed($node, 'snap') >= $end }, 'the churn streamed');
like($sh->{err}, qr/incremental snapshot of public\.acct done: \d+ rows/, 'acct read');
like($sh->{err}, qr/incremental snapshot of public\.pair \(filtered\) done: 300 rows/,
	'pair read, only the rows the filter picks');
matches_table('healed', 'incremental snapshots under churn', $sh->{err});
my (undef, undef, $pair_reads) = replay('healed.public.pair', 'c');
is($pair_reads->{incremental}, 300, 'the filtered reads are marked incremental');

$node->safe_psql('postgres', "SELECT cellcdc.request_snapshot('acct'); SELECT cellcdc.stop_snapshot('acct')");
wait_until(sub { shipper_log($sh) =~ /1 incremental snapshot of "public"\."acct" stopped/ }, 'the stop');
is(stop_shipper($sh), 0, 'stopped');

# Bad requests are refused where they are made.
($rc, $err) = run_shipper($node, $mock, @common, '-' => [ '--snapshot', 'public.pair', '--filter', 'a <' ]);
is($rc, 2, 'a filter that is not SQL: exit 2');
like($err, qr/--filter a <: ERROR:  syntax error/, 'naming the filter and the error');
($rc, $err) = run_shipper($node, $mock, @common, '-' => [ '--snapshot', 'public.churn_ctl' ]);
is($rc, 2, 'a table not captured: exit 2');
like($err, qr/--snapshot public\.churn_ctl: this shipper does not capture it/, 'saying so');
($rc, $err) = run_shipper($node, $mock, @common, '-' => [ '--snapshot', 'public.nosuch' ]);
like($err, qr/--snapshot public\.nosuch: no such table/, 'a table that does not exist');
$node->psql('postgres', "SELECT cellcdc.request_snapshot('acct', 'v >')", stderr => \my $perr);
like($perr, qr/syntax error/, 'request_snapshot() checks its filter');

# 8. kill -9 during an incremental snapshot: the next start goes on after
# the last chunk Kafka has.
$victim = IPC::Run::start([ $ShipperTest::shipper, '-c',
		ShipperTest::properties_file($node, $mock, @common, 'topic.prefix' => 'inc9',
			'slot.name' => 'k9', 'incremental.snapshot.chunk.size' => '20') ],
	'>', \$vout, '2>', \$verr);
wait_until(sub { $victim->pump_nb; $verr =~ /streaming slot/ }, 'streaming');
$node->safe_psql('postgres', "SELECT cellcdc.request_snapshot('acct')");
wait_until(sub { topic_count($mock, 'inc9.public.acct') >= $rows / 2 }, 'the incremental snapshot half way');
$victim->signal('KILL');
$victim->finish;
$sh = start_shipper($node, $mock, @common, 'topic.prefix' => 'inc9', 'slot.name' => 'k9',
	'log.progress.interval.ms' => '1000', 'incremental.snapshot.chunk.size' => '50');
wait_until(sub { shipper_log($sh) =~ /incremental snapshots: all done/ }, 'the rest read');
like($verr . $sh->{err}, qr/incremental snapshot of public\.acct: \d+ rows of about \d+ in \d+ s; 0 more queued/,
	'progress was logged');
is(stop_shipper($sh), 0, 'stopped');
my (undef, undef, $inc_reads) = replay('inc9.public.acct', 'v');
my $table_rows = $node->safe_psql('postgres', 'SELECT count(*) FROM acct');
cmp_ok($inc_reads->{incremental}, '<', $table_rows + 500,
	"kill -9: it went on, not from the start ($inc_reads->{incremental} reads of $table_rows rows)");
cmp_ok($inc_reads->{incremental}, '>=', $table_rows, 'and no row was left out');

# 9. A table added to the include list gets its existing rows.
$sh = start_shipper($node, $mock, @common, 'slot.name' => 'narrow', 'topic.prefix' => 'narrow',
	'table.exclude.list' => 'public.churn_ctl,public.pair');
is(stop_shipper($sh), 0, 'stopped');
$sh = start_shipper($node, $mock, @common, 'slot.name' => 'narrow', 'topic.prefix' => 'narrow');
wait_until(sub { shipper_log($sh) =~ /incremental snapshots: all done/ }, 'the new tables read');
is(stop_shipper($sh), 0, 'stopped');
like($sh->{err}, qr/"public"\."pair" is newly captured: an incremental snapshot reads its existing rows/,
	'the newly captured table is named');
is(scalar(grep { defined $_->{value} && $_->{value} =~ /"snapshot":"incremental"/ }
	  @{ kcat_messages($mock, 'narrow.public.pair') }), 3000, 'and its rows are read');

# 10. snapshot.mode=always: every start reads every table again, streaming meanwhile.
$sh = start_shipper($node, $mock, @common, 'slot.name' => 'narrow', 'topic.prefix' => 'narrow',
	'snapshot.mode' => 'always');
wait_until(sub { shipper_log($sh) =~ /incremental snapshots: all done/ }, 'every table read again');
is(stop_shipper($sh), 0, 'stopped');
like($sh->{err}, qr/snapshot\.mode=always: an incremental snapshot reads the 5 captured tables while streaming/,
	'always: said at start');
is(scalar(grep { defined $_->{value} && $_->{value} =~ /"snapshot":"incremental"/ }
	  @{ kcat_messages($mock, 'narrow.public.pair') }), 6000, 'always: the rows are read again');
like($sh->{err}, qr/ERROR .*incremental snapshot of "public"\."zsecret" stopped: the shipper's role may not read it/,
	'a table it may not read is named, and the others go on');

# 11. A table dropped while the snapshot runs fails alone, and says so.
$node->safe_psql('postgres', 'CREATE TABLE dropme (id int PRIMARY KEY);
	INSERT INTO dropme SELECT generate_series(1, 100); GRANT SELECT ON dropme TO shipper');
$sh = { out => '', err => '' };
$sh->{run} = IPC::Run::start([ $ShipperTest::shipper, '-c',
		ShipperTest::properties_file($node, $mock, @common, 'topic.prefix' => 'drop',
			'slot.name' => 'drop', 'snapshot.mode' => 'initial_only', 'snapshot.fetch.size' => '2') ],
	'>', \$sh->{out}, '2>', \$sh->{err}, IPC::Run::timeout(180));
wait_until(sub { topic_count($mock, 'drop.public.acct') >= 100 }, 'the snapshot under way');
$node->safe_psql('postgres', 'DROP TABLE dropme');
$sh->{run}->finish;
is($? >> 8, 0, 'a table dropped during the snapshot: the snapshot still ends, exit 0');
like($sh->{err}, qr/ERROR .*snapshot of public\.dropme failed: it was dropped \(or renamed\) while the snapshot ran/,
	'naming the table and what happened');
like($sh->{err}, qr/snapshot of public\.pair: 3000 rows read/, 'the tables after it are read');

# 12. snapshot.initial.max.ms: a long initial snapshot stops holding the
# slot; streaming starts at its consistent point and the rest goes on
# incrementally.
$bg = start_churn(3_000_000);
$sh = start_shipper($node, $mock, @common, 'topic.prefix' => 'cut', 'slot.name' => 'cut',
	'snapshot.fetch.size' => '1', 'snapshot.initial.max.ms' => '1000');
like($sh->{err}, qr/the initial snapshot has held the slot for 1 s \(snapshot\.initial\.max\.ms\): streaming from its consistent point, the rest goes on incrementally/,
	'snapshot.initial.max.ms: the initial snapshot stops holding the slot');
wait_until(sub { shipper_log($sh) =~ /incremental snapshots: all done/ }, 'the rest read');
stop_churn($bg);
$end = $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'");
wait_until(sub { slot_confirmed($node, 'cut') >= $end }, 'the churn streamed');
is(stop_shipper($sh), 0, 'stopped');
matches_table('cut', 'snapshot.initial.max.ms', $sh->{err});

# 6. A snapshot needs the extension.
$node->safe_psql('postgres', 'CREATE DATABASE bare');
($rc, $err) = run_shipper($node, $mock, 'database.conninfo' => $node->connstr('bare'),
	'slot.name' => 'bare');
is($rc, 2, 'no extension: exit 2');
like($err, qr/snapshots read rows through the cellcdc extension, which database "bare" does not have: run CREATE EXTENSION cellcdc there/,
	'saying what to do');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'bare'"),
	'0', 'before creating the slot');

$node->stop;
mock_control($mock, 'quit');
done_testing();
