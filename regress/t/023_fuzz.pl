# Bad input never crashes: the libFuzzer targets in regress/fuzz/ (the record
# reader and renderer as the stream loop feeds them; the configuration
# loader), built with AddressSanitizer and UndefinedBehaviorSanitizer, each
# run for FUZZ_SECONDS (default 30).  The record target is seeded with real
# records: the pg_regress workloads run against a cellcdc slot, read back
# with pg_logical_slot_get_binary_changes.  A crash, a sanitizer report or a
# leak fails the test and leaves the input that caused it in the log.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $src = $ENV{TESTDIR} // '.';
my $seconds = $ENV{FUZZ_SECONDS} // 30;
my $dir = PostgreSQL::Test::Utils::tempdir;

my ($out, $err) = ('', '');
ok(IPC::Run::run([ 'make', '-C', $src, '-s', 'fuzz' ], '>', \$out, '2>', \$err),
	'the fuzz targets build with clang, sanitizers on, no warnings')
  or BAIL_OUT("cannot build the fuzz targets: $err");

# Real records: the regression workloads, decoded by a slot of their own.
my $node = start_node('fuzz');
$node->safe_psql('postgres',
	"SELECT pg_create_logical_replication_slot('seeds', 'cellcdc')");
for my $sql (qw(types encoding toast replica_identity partitioned ddl savepoints truncate
	messages big_transaction))
{
	# each workload also checks its own output; here only its records matter
	$node->psql('postgres', undef, extra_params => [ '-f', "$src/regress/sql/$sql.sql" ]);
}
my @records = map { pack('H*', $_) } split /\n/, $node->safe_psql('postgres',
	"SELECT encode(data, 'hex') FROM pg_logical_slot_get_binary_changes('seeds', NULL, NULL)");
$node->stop;
ok(@records > 500, scalar(@records) . ' real records to seed the record target');

# A seed: a configuration byte, then records, each behind its length.
my $corpus = "$dir/records";
mkdir $corpus;
my ($seeds, $at) = (0, 0);
while ($at < @records)
{
	my $n = 1 + ($seeds % 40);
	my $seed = pack('C', $seeds * 37 % 256);
	$seed .= pack('N', length($_)) . $_ for @records[ $at .. ($at + $n > @records ? $#records : $at + $n - 1) ];
	PostgreSQL::Test::Utils::append_to_file(sprintf("$corpus/seed%05d", $seeds++), $seed);
	$at += $n;
}

# The configuration target: properties files as the tests and README write them.
my $configs = "$dir/configs";
mkdir $configs;
my @config_seeds = (
	"topic.prefix=emp\ndatabase.conninfo=host=/tmp dbname=emp\nslot.name=s\n"
	  . "kafka.bootstrap.servers=127.0.0.1:9092\n",
	"topic.prefix=emp-prod-events-bos-v2\ndatabase.hostname=db\ndatabase.port=5432\n"
	  . "database.user=cdc\ndatabase.password=secret\ndatabase.dbname=emp\n"
	  . "table.include.list=public.clients_.*,public.core_currency\n"
	  . "column.exclude.list=public.clients_client.ssn\nsnapshot.mode=when_needed\n"
	  . "errors.tolerance=all\nerrors.deadletterqueue.topic.name=dlq\n"
	  . 'kafka.bootstrap.servers=${file:/nonexistent:servers}' . "\n",
	"sink=stdout\ndatabase.conninfo=dbname=x\nslot.name=a\ntopic.prefix=p\n"
	  . "decimal.handling.mode=string\ntime.precision.mode=connect\nbinary.handling.mode=hex\n"
	  . "skipped.operations=t,u\nprovide.transaction.metadata=true\nsource.version=2.6.1.Final\n"
	  . "log.format=json\nkafka.linger.ms=5\n",
	"# comment\n! other comment\nkey\\ with\\ spaces = value \\\n  continued\n\\u00e9=\\t\n");
for my $i (0 .. $#config_seeds)
{
	PostgreSQL::Test::Utils::append_to_file("$configs/seed$i", $config_seeds[$i]);
}

# Run a target over its corpus for $seconds; it must end by itself, clean.
sub fuzz
{
	my ($target, $corpus, @options) = @_;
	my ($out, $err) = ('', '');
	my $ran = IPC::Run::run([ "$src/regress/fuzz/$target", "-max_total_time=$seconds",
			'-timeout=20', '-rss_limit_mb=2048', "-artifact_prefix=$dir/", @options, $corpus ],
		'>', \$out, '2>', \$err, IPC::Run::timeout($seconds + 120));
	my ($runs) = $err =~ /Done (\d+) runs/;
	ok($ran && defined $runs, "$target: no crash, sanitizer report or leak in $seconds s")
	  or diag(substr($err, -6000));
	ok(($runs // 0) > 1000, "$target: " . ($runs // 0) . ' inputs tried');
}

fuzz('record_fuzz', $corpus);
# the loader prints each input's problems: keep them off the log
fuzz('config_fuzz', $configs, '-close_fd_mask=3');

done_testing();
