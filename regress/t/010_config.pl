# The shipper's configuration: the properties file and -X, ${...} expansion,
# Debezium's regex filters translated into the decoder's globs, librdkafka
# settings checked, and every mistake reported as one line naming the key,
# with exit code 2, before anything connects.  Secrets never appear in any
# output.  No server is needed: accepted configurations are checked with
# --print-config, which exits 0 without connecting.
#
# SHIPPER is the binary to test; by default $TESTDIR/shipper/cellcdc-shipper.
use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;
use Test::More;

my $shipper = $ENV{SHIPPER};
$shipper = "$ENV{TESTDIR}/shipper/cellcdc-shipper"
  if !defined $shipper && defined $ENV{TESTDIR};
if (!defined $shipper || !-x $shipper)
{
	fail('SHIPPER names the cellcdc-shipper binary ('
		  . ($shipper // 'unset') . ' is not an executable): build it, '
		  . 'then run SHIPPER=/path/to/cellcdc-shipper prove regress/t/010_config.pl');
	done_testing();
	exit;
}

my $dir = tempdir(CLEANUP => 1);

# Run the shipper with arguments and extra environment; returns (exit code, stdout, stderr).
sub shipper
{
	my ($args, %env) = @_;
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, %env);
	IPC::Run::run([ $shipper, @$args ], '<', \undef, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# Write a properties file; returns its path.
my $nfiles = 0;
sub props
{
	my ($text) = @_;
	my $path = "$dir/shipper" . ++$nfiles . '.properties';
	open(my $fh, '>', $path) or die "cannot write $path: $!";
	print $fh $text;
	close $fh;
	return $path;
}

# The shipper must refuse the arguments with one line naming the key.
sub refused
{
	my ($args, $pattern, $name, %env) = @_;
	my ($rc, $out, $err) = shipper($args, %env);
	is($rc, 2, "$name: exit 2");
	like($err, qr/^cellcdc-shipper: [^\n]*\n\z/, "$name: exactly one line on stderr");
	like($err, $pattern, "$name: the message");
	is($out, '', "$name: nothing on stdout");
	return $err;
}

# The shipper must accept the arguments; returns the printed configuration.
sub accepted
{
	my ($args, $name, %env) = @_;
	my ($rc, $out, $err) = shipper([ @$args, '--print-config' ], %env);
	is($rc, 0, "$name: accepted");
	is($err, '', "$name: nothing on stderr");
	return $out;
}

my @base = ('-X', 'topic.prefix=emp-devel-events-bos-v2', '-X', 'sink=stdout');

# --help, --version, bad usage
my ($rc, $out, $err) = shipper(['--help']);
is($rc, 0, '--help exits 0');
like($out, qr/-c FILE/, '--help shows the usage');
like($out, qr/^  topic\.prefix /m, '--help lists the keys');
is($err, '', '--help writes nothing on stderr');
($rc, $out, $err) = shipper(['--version']);
is($rc, 0, '--version exits 0');
like($out, qr/^cellcdc-shipper \d+\.\d+\.\d+\S*\n\z/, '--version prints the version');
refused(['--bogus'], qr/unknown option "--bogus"/, 'unknown option');
refused(['-c'], qr/-c needs a file/, '-c without a file');
refused(['-c', "$dir/missing.properties"], qr/missing\.properties.*No such file/, 'missing file');

# required keys
refused([], qr/^cellcdc-shipper: topic\.prefix: is required/, 'no topic.prefix');
refused([ '-X', 'topic.prefix=emp-devel' ], qr/kafka\.bootstrap\.servers: is required/,
	'sink=kafka needs kafka.bootstrap.servers');
refused([ '-X', 'topic.prefix=a/b', '-X', 'sink=stdout' ], qr/topic\.prefix: .*topic names/,
	'topic.prefix must make valid topic names');

# unknown keys, with a suggestion, and Debezium keys the shipper does not use
refused([ @base, '-X', 'tombstone.on.delete=true' ],
	qr/tombstone\.on\.delete: unknown key; did you mean tombstones\.on\.delete\?/, 'unknown key');
refused([ @base, '-X', 'database.server.name=x' ], qr/database\.server\.name: .*topic\.prefix/,
	'a renamed Debezium key');

# typed values
refused([ @base, '-X', 'tombstones.on.delete=yes' ],
	qr/tombstones\.on\.delete: "yes" is not a boolean; use true or false/, 'bad boolean');
like(accepted([ @base, '-X', 'tombstones.on.delete=FALSE' ], 'boolean in capitals'),
	qr/^tombstones\.on\.delete=FALSE$/m, 'boolean kept');
refused([ @base, '-X', 'decimal.handling.mode=exact' ],
	qr/decimal\.handling\.mode: "exact" is not a valid value; use precise, string or double/, 'bad enum value');
refused([ @base, '-X', 'time.precision.mode=isostring' ],
	qr/time\.precision\.mode: "isostring" is not supported/, 'unsupported Debezium mode');
accepted([ @base, '-X', 'snapshot.mode=never' ], 'snapshot.mode=never (alias of no_data)');
accepted([ @base, '-X', 'snapshot.mode=INITIAL_ONLY' ], 'snapshot.mode in capitals');
accepted([ @base, '-X', 'snapshot.mode=always' ], 'snapshot.mode=always');
refused([ @base, '-X', 'snapshot.mode=custom' ], qr/snapshot\.mode: "custom" is not supported; use initial/,
	'snapshot.mode=custom');
refused([ @base, '-X', 'snapshot.max.threads=0' ], qr/snapshot\.max\.threads: "0" is out of range/,
	'snapshot.max.threads=0');
refused([ @base, '-X', 'status.interval.ms=0' ], qr/status\.interval\.ms: "0" is out of range/,
	'integer out of range');
refused([ @base, '-X', 'slot.name=My-Slot' ], qr/slot\.name: .*not a valid replication slot name/,
	'bad slot name');
refused([ @base, '-X', 'debezium.version=1.9.7.Final' ], qr/debezium\.version: .*not supported/,
	'Debezium before 2.0');
refused([ @base, '-X', 'skipped.operations=x' ], qr/skipped\.operations: "x" is not a list/,
	'bad skipped.operations');

# filters: Debezium's regexes become the decoder's globs
refused([ @base, '-X', 'table.include.list=public.a', '-X', 'table.exclude.list=public.b' ],
	qr/table\.exclude\.list: cannot be combined with table\.include\.list/, 'include and exclude lists together');
$out = accepted(
	[ @base, '-X', 'table.include.list=public\.orders, sales.*,^inv\.items$',
		'-X', 'column.exclude.list=public\.users\.password,.*\.ssn',
		'-X', 'message.prefix.include.list=audit.*,app\.v1' ],
	'regexes that translate');
my ($options) = $out =~ /^# decoder options: (.*)$/m;
like($options, qr/"include_tables" 'public\.orders,sales\*\.\*,inv\.items'/, 'table regexes as globs');
like($options, qr/"exclude_columns" 'public\.users\.password,\*\.\*\.ssn'/, 'column regexes as globs');
like($options, qr/"message_prefixes" 'audit\*,app\\\.v1'/, 'message prefixes as globs');
like($options, qr/^\(.*\)$/, 'a parenthesized option list');
$out = accepted([ @base, '-X', q{table.exclude.list=public\.o'brien} ], 'a quote in a name');
like($out, qr/"exclude_tables" 'public\.o''brien'/, 'quotes doubled in the SQL literal');
for my $regex ('public\.(orders|items)', 'public\.orders[0-9]', 'sales\..+', 'public\.\w+', 'public\.order?')
{
	refused([ @base, '-X', "table.include.list=public.ok,$regex" ],
		qr/table\.include\.list: entry "\Q$regex\E" uses .*supported: /, "regex refused: $regex");
}
refused([ @base, '-X', 'table.include.list=orders' ], qr/"orders" can never match/,
	'a table name without its schema');

# ${VAR} and ${file:...}
$out = accepted([ '-X', 'topic.prefix=${CELLCDC_T_PREFIX}-v2', '-X', 'sink=stdout' ],
	'environment variable', CELLCDC_T_PREFIX => 'emp-prod-events-bos');
like($out, qr/^topic\.prefix=emp-prod-events-bos-v2$/m, '${VAR} expanded');
$out = accepted([ @base, '-X', 'unavailable.value.placeholder=$${NOT_A_VAR}' ], 'literal ${');
like($out, qr/^unavailable\.value\.placeholder=\$\$\{NOT_A_VAR\}$/m, '$${ is a literal ${');
delete $ENV{CELLCDC_T_UNSET};
refused([ @base, '-X', 'database.user=${CELLCDC_T_UNSET}' ],
	qr/database\.user: environment variable CELLCDC_T_UNSET is not set/, 'unset variable');
my $portfile = "$dir/port";
open(my $fh, '>', $portfile) or die;
print $fh "6543\n";
close $fh;
$out = accepted([ @base, '-X', "database.port=\${file:$portfile}" ], '${file:...}');
like($out, qr/^# effective conninfo: .*port='6543'/m, '${file:...} read, trailing newline dropped');
refused([ @base, '-X', "database.password=\${file:$dir/nope}" ],
	qr/database\.password: cannot read \$\{file:\Q$dir\E\/nope\}: No such file/, 'unreadable ${file:...}');

# the file, and -X over it
my $file = props(<<'EOF');
# a Debezium-style properties file
! another comment
topic.prefix = from-file
sink: stdout
database.hostname=db.example.com
table.include.list=public\\.orders,\
    public\\.items
EOF
$out = accepted([ '-c', $file ], 'properties file');
like($out, qr/^topic\.prefix=from-file$/m, 'key = value');
like($out, qr/^# decoder options: .*'public\.orders,public\.items'/m, 'continuation line and \\\\');
$out = accepted([ '-c', $file, '-X', 'topic.prefix=from-x' ], '-X over the file');
like($out, qr/^topic\.prefix=from-x$/m, '-X overrides the file');
refused([ '-c', props("topic.prefix=a\nsink=stdout\ntopic.prefix=b\n") ],
	qr/^cellcdc-shipper: \S+:3: topic\.prefix: set again \(first at \S+:1\)/, 'duplicate key in the file');
refused([ '-c', props("topic.prefix=a\nsink=stdout\nbogus.key=1\n") ],
	qr/^cellcdc-shipper: \S+:3: bogus\.key: unknown key/, 'unknown key in the file names file:line');

# every problem in one run, one line each, in the order of the file, then -X
my $many = props(<<'EOF');
topic.prefix=emp-devel-events-bos-v2
sink=stdout
tombstones.on.delete=yes
tombstone.on.delete=true
status.interval.ms=soon
table.include.list=public\\.orders,public\\.(a|b)
EOF
($rc, $out, $err) = shipper([ '-X', 'slot.name=My-Slot', '-c', $many ]);
is($rc, 2, 'several problems: exit 2');
is($out, '', 'several problems: nothing on stdout');
my @lines = split /\n/, $err;
is(scalar(@lines), 5, 'several problems: all reported, one line each') or diag($err);
like($lines[0], qr/^cellcdc-shipper: \S+:3: tombstones\.on\.delete: "yes" is not a boolean; use true or false$/,
	'several problems: the bad boolean (line 3)');
like($lines[1], qr/^cellcdc-shipper: \S+:4: tombstone\.on\.delete: unknown key; did you mean tombstones\.on\.delete\?$/,
	'several problems: the unknown key (line 4)');
like($lines[2], qr/^cellcdc-shipper: \S+:5: status\.interval\.ms: "soon" is not an integer/,
	'several problems: the bad integer (line 5)');
like($lines[3], qr/^cellcdc-shipper: \S+:6: table\.include\.list: entry "public\\\.\(a\|b\)" uses "\("/,
	'several problems: the bad regex entry (line 6), not the good one');
like($lines[4], qr/^cellcdc-shipper: slot\.name: "My-Slot" is not a valid replication slot name/,
	'several problems: -X after the file');

# failures, logging, start-up, the offsets topic, --new-slot
$out = accepted([ @base ], 'defaults');
like($out, qr/^errors\.max\.retries=10\nerrors\.tolerance=none\n# errors\.deadletterqueue\.topic\.name is not set\nlog\.format=text\nlog\.progress\.interval\.ms=60000$/m,
	'errors.* and log.* defaults');
like($out, qr/^startup\.timeout\.ms=60000\noffset\.storage\.topic=cellcdc-offsets$/m,
	'startup.timeout.ms and offset.storage.topic defaults');
$out = accepted([ @base, '-X', 'errors.tolerance=all', '-X', 'errors.deadletterqueue.topic.name=emp-devel-dlq',
		'-X', 'errors.max.retries=-1', '-X', 'log.format=JSON', '-X', 'log.progress.interval.ms=0',
		'-X', 'offset.storage.topic=emp-devel.cellcdc_offsets', '-X', 'startup.timeout.ms=1000' ],
	'errors, logging and start-up keys');
like($out, qr/^errors\.deadletterqueue\.topic\.name=emp-devel-dlq$/m, 'the dead-letter topic');
refused([ @base, '-X', 'errors.max.retries=-2' ], qr/errors\.max\.retries: "-2" is out of range; use -1 to 1000000/,
	'errors.max.retries below -1');
refused([ @base, '-X', 'errors.max.retries=often' ], qr/errors\.max\.retries: "often" is not an integer/,
	'errors.max.retries not a number');
refused([ @base, '-X', 'errors.tolerance=some' ], qr/errors\.tolerance: "some" is not a valid value; use none or all/,
	'bad errors.tolerance');
refused([ @base, '-X', 'errors.tolerance=all' ],
	qr/errors\.tolerance: all needs errors\.deadletterqueue\.topic\.name/, 'errors.tolerance=all without a topic');
refused([ @base, '-X', 'errors.tolerance=all', '-X', 'errors.deadletterqueue.topic.name=dead letters' ],
	qr/errors\.deadletterqueue\.topic\.name: "dead letters" has a character Kafka does not allow/,
	'a dead-letter topic Kafka refuses (and no second line for errors.tolerance)');
refused([ @base, '-X', 'errors.deadletterqueue.topic.name=cellcdc-offsets' ],
	qr/errors\.deadletterqueue\.topic\.name: is offset\.storage\.topic too/, 'the dead-letter topic is the offsets topic');
refused([ @base, '-X', 'errors.deadletterqueue.topic.name=' . ('d' x 250) ],
	qr/errors\.deadletterqueue\.topic\.name: .* is longer than 249 characters/, 'a dead-letter topic too long');
refused([ @base, '-X', 'log.format=xml' ], qr/log\.format: "xml" is not a valid value; use text or json/, 'bad log.format');
refused([ @base, '-X', 'log.progress.interval.ms=500' ], qr/log\.progress\.interval\.ms: 500 is below 1000; use 0/,
	'log.progress.interval.ms too short');
refused([ @base, '-X', 'log.progress.interval.ms=86400001' ], qr/log\.progress\.interval\.ms: "86400001" is out of range/,
	'log.progress.interval.ms too long');
refused([ @base, '-X', 'offset.storage.topic=..' ], qr/offset\.storage\.topic: "\.\." is not a topic name Kafka allows/,
	'offset.storage.topic ..');
refused([ @base, '-X', 'offset.storage.topic=' ], qr/offset\.storage\.topic: is empty/, 'offset.storage.topic empty');
refused([ @base, '-X', 'startup.timeout.ms=999' ], qr/startup\.timeout\.ms: "999" is out of range; use 1000 to 3600000/,
	'startup.timeout.ms too short');
like(accepted([ '-c', $file, '--new-slot' ], '--new-slot with -c'), qr/^# --new-slot: /m, '--new-slot shown');
unlike(accepted([ '-c', $file ], 'no --new-slot'), qr/new-slot/, 'no --new-slot, none shown');

# application_name: the user's wins, else the shipper names itself
like(accepted([ @base ], 'no application_name'),
	qr/^# effective conninfo: .*fallback_application_name='cellcdc-shipper'/m, 'the shipper names itself as a fallback');
$out = accepted([ @base, '-X', 'database.conninfo=application_name=cdc-bos dbname=bos' ], 'an application_name');
like($out, qr/^# effective conninfo: .*application_name='cdc-bos'/m, 'the application_name given is kept');

# kafka.*
$out = accepted([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=127.0.0.1:9092',
		'-X', 'kafka.compression.type=zstd', '-X', 'kafka.acks=all' ], 'librdkafka settings');
like($out, qr/^kafka\.bootstrap\.servers=127\.0\.0\.1:9092\nkafka\.compression\.type=zstd\nkafka\.acks=all$/m,
	'kafka.* kept in order');
refused([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', '-X', 'kafka.no.such.property=1' ],
	qr/kafka\.no\.such\.property: librdkafka: No such configuration property/, 'unknown librdkafka property');
refused([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', '-X', 'kafka.compression.type=bogus' ],
	qr/kafka\.compression\.type: librdkafka: .*bogus/, 'bad librdkafka value');
refused([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', '-X', 'kafka.sasl.jaas.config=x' ],
	qr/kafka\.sasl\.jaas\.config: librdkafka: Java JAAS configuration is not supported/, 'librdkafka explains a Java-only key');
refused([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', '-X', 'kafka.acks=1' ],
	qr/kafka\.acks: "1" refused: .*use all/, 'kafka.acks=1 refused');
refused([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', '-X', 'kafka.enable.idempotence=false' ],
	qr/kafka\.enable\.idempotence: .*refused/, 'idempotence off refused');
refused([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', '-X', 'kafka.message.timeout.ms=300000' ],
	qr/kafka\.message\.timeout\.ms: .*refused/, 'finite message timeout refused');

# secrets: never in any output
my $pwfile = "$dir/pw";
open($fh, '>', $pwfile) or die;
print $fh "FileSecret-4711\n";
close $fh;
my @secret = ('-X', 'database.password=PlainSecret-0815',
	'-X', 'database.conninfo=postgresql://cdc:UriSecret-1234@db.example.com:5432/bos',
	'-X', "kafka.sasl.password=\${file:$pwfile}",
	'-X', 'kafka.sasl.username=cdc',
	'-X', 'kafka.sasl.oauthbearer.config=EnvSecret-${CELLCDC_T_PW}');
my %env = (CELLCDC_T_PW => 'Env-2222');
my @outputs;
($rc, $out, $err) = shipper([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', @secret, '--print-config' ], %env);
is($rc, 0, 'secrets: --print-config accepted');
like($out, qr/^database\.password=\*{8}$/m, 'database.password masked');
like($out, qr/^kafka\.sasl\.password=\*{8}$/m, 'kafka.sasl.password masked');
like($out, qr/^# effective conninfo: .*password='\*{8}'.*dbname='bos'/m, 'conninfo shown with the password masked');
push @outputs, $out . $err;
for my $bad ([ '-X', 'tombstones.on.delete=maybe' ], [ '-X', 'kafka.acks=0' ],
	[ '-X', 'database.conninfo=host=x password=UriSecret-1234 port' ],
	[ '-X', 'kafka.sasl.password=${CELLCDC_T_UNSET}' ])
{
	($rc, $out, $err) = shipper([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x', @secret, @$bad ], %env);
	is($rc, 2, "secrets: error with $bad->[1]");
	push @outputs, $out . $err;
}
refused([ @base, '-X', 'database.port=${file:' . $pwfile . '}' ], qr/database\.port: the value \(not shown\)/,
	'a value from a file is not shown');
($rc, $out, $err) = shipper([ @base, '-X', 'database.port=${file:' . $pwfile . '}' ]);
push @outputs, $out . $err;

# every secret libpq knows (sslpassword too), in database.conninfo and the final conninfo
$out = accepted([ @base, '-X', q{database.conninfo=host=db.example.com sslpassword=SslSecret-5150 sslmode=require},
		'-X', 'database.password=PlainSecret-0815' ], 'sslpassword in the conninfo');
like($out, qr/^database\.conninfo=.*sslpassword='\*{8}'/m, 'sslpassword masked in database.conninfo');
like($out, qr/^# effective conninfo: .*password='\*{8}'.*sslpassword='\*{8}'/m,
	'password and sslpassword masked in the final conninfo');
push @outputs, $out;
($rc, $out, $err) = shipper([ @base, '-X', q{database.conninfo=host=x sslpassword=SslSecret-5150 port} ]);
is($rc, 2, 'an unparsable conninfo with an sslpassword: refused');
like($err, qr/database\.conninfo: .*details withheld/, 'an unparsable conninfo with an sslpassword: details withheld');
push @outputs, $out . $err;

# every property librdkafka treats as a secret; a build may lack some (OIDC)
for my $property ('sasl.username', 'sasl.password', 'sasl.oauthbearer.config',
	'sasl.oauthbearer.client.secret', 'ssl.key.location', 'ssl.key.password', 'ssl.key.pem',
	'ssl.keystore.password', 'ssl.ca.pem')
{
	($rc, $out, $err) = shipper([ '-X', 'topic.prefix=p', '-X', 'kafka.bootstrap.servers=x',
			'-X', "kafka.$property=KafkaSecret-$property", '--print-config' ]);
	if ($rc == 0)
	{
		like($out, qr/^kafka\.\Q$property\E=\*{8}$/m, "kafka.$property masked");
	}
	else
	{
		like($err, qr/^cellcdc-shipper: kafka\.\Q$property\E: librdkafka: .*not supported in this build/,
			"kafka.$property: not in this librdkafka build");
	}
	unlike($out . $err, qr/KafkaSecret/, "kafka.$property never printed");
}

# a value from ${file:...} is masked whatever the key, a whole conninfo too
my $cifile = "$dir/conninfo";
open($fh, '>', $cifile) or die;
print $fh "host=FileHost-77 sslpassword=SslSecret-5150\n";
close $fh;
$out = accepted([ @base, '-X', "unavailable.value.placeholder=\${file:$pwfile}",
		'-X', "database.conninfo=\${file:$cifile}" ], 'values from files');
like($out, qr/^unavailable\.value\.placeholder=\*{8}$/m, 'a value from a file is masked, whatever the key');
like($out, qr/^database\.conninfo=\*{8}$/m, 'a conninfo from a file is masked as a whole');
like($out, qr/^# effective conninfo: .*sslpassword='\*{8}'/m, 'its sslpassword masked in the final conninfo');
push @outputs, $out;

for my $secret ('PlainSecret-0815', 'UriSecret-1234', 'FileSecret-4711', 'Env-2222', 'SslSecret-5150')
{
	unlike(join('', @outputs), qr/\Q$secret\E/, "secret $secret never printed");
}

done_testing();
