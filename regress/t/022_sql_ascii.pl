# Text that is not UTF-8, from a SQL_ASCII database (which stores whatever
# bytes it is given): the shipper still writes valid JSON, in valid UTF-8,
# with each byte that is not UTF-8 escaped as \uDC80..\uDCFF, and a reader
# gets the exact bytes back.  The reader is Python's json module with
# surrogateescape (PEP 383), since Perl's JSON::PP refuses lone surrogate
# escapes; it also refuses NaN and other non-JSON constants here.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('sqlascii');
$node->safe_psql('postgres',
	"CREATE DATABASE legacy ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
# table "caf\xe9", column "na\xefve": names that are not UTF-8 either
$node->safe_psql('legacy', qq{
	CREATE EXTENSION cellcdc;
	CREATE TABLE "caf\xe9" (id int PRIMARY KEY, body text, "na\xefve" text);
	SELECT pg_create_logical_replication_slot('legacy', 'cellcdc');
	INSERT INTO "caf\xe9" VALUES (1, E'caf\\xe9', 'caf\xc3\xa9');
	INSERT INTO "caf\xe9" VALUES (2, 'caf\xc3\xa9', E'\\xff\\xfe');
});
my $end = $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'");

my $sh = start_shipper($node, undef, 'database.conninfo' => $node->connstr('legacy'),
	'slot.name' => 'legacy', sink => 'stdout', 'topic.prefix' => 'legacy');
wait_until(sub { $sh->{run}->pump_nb; slot_confirmed($node, 'legacy') >= $end },
	'the slot confirmed');
is(stop_shipper($sh), 0, 'the shipper stops cleanly');

my @lines = split /\n/, $sh->{out};
is(scalar(@lines), 2, 'two messages');
like($lines[0], qr/"body":"caf\\uDCE9"/, 'a byte that is not UTF-8 is written as \uDCE9');
like($lines[0], qr/"na\\uDCEFve":"caf\xc3\xa9"/, 'valid UTF-8 is written as it is');
like($lines[0], qr/^\{"topic":"legacy\.public\.caf_"/, 'the topic has one _ for the byte');
is(scalar(() = $sh->{err} =~ /column public\.caf\\uDCE9\.(body|na\\uDCEFve) holds text that is not valid UTF-8/g),
	2, 'each column with such text is logged once');

# read it back as a JSON consumer would, restoring the bytes
my $dir = PostgreSQL::Test::Utils::tempdir;
open(my $fh, '>:raw', "$dir/out.json") or die;
print $fh $sh->{out};
close $fh;
my $reader = <<'EOF';
import json, sys

def refuse(constant):
    raise ValueError('not JSON: ' + constant)

def raw(s):
    return s.encode('utf-8', 'surrogateescape').hex()

# open() with utf-8 refuses lines that are not valid UTF-8
for line in open(sys.argv[1], encoding='utf-8'):
    value = json.loads(line, parse_constant=refuse)['value']['payload']
    after = value['after']
    cells = ' '.join('%s=%s' % (raw(k), raw(v)) for k, v in after.items() if k != 'id')
    print(after['id'], raw(value['source']['table']), cells)
EOF
my ($out, $err) = ('', '');
ok(IPC::Run::run([ 'python3', '-c', $reader, "$dir/out.json" ], '>', \$out, '2>', \$err),
	'every line is valid UTF-8 and valid JSON') or diag($err);
is($out,
	"1 636166e9 626f6479=636166e9 6e61ef7665=636166c3a9\n"
	  . "2 636166e9 626f6479=636166c3a9 6e61ef7665=fffe\n",
	'the reader gets every byte of names and values back');

$node->stop;
done_testing();
