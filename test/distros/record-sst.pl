#!/usr/bin/perl
# make test-distros installs this as wsrep_sst_rsync_tunnel in front of the real executable
# (sst-real/ next to it): it records how the release's mariadbd starts the SST program (argv,
# the WSREP_* environment, what it writes on stdin) in record/<role>-<pid>.json, then becomes
# the real program: same PID, same argv, the same bytes on stdin.
use strict;
use warnings;
use File::Basename qw(dirname);
use JSON::PP;

my $dir = dirname($0);
my $real = "$dir/sst-real/wsrep_sst_rsync_tunnel";
# A pipe (11.8's donor) carries what mariadbd writes and then closes; anything else (the
# inherited /dev/null) is passed through untouched.
my $stdin = '';
my $piped = -p STDIN;
if ($piped) {
  local $/;
  $stdin = <STDIN> // '';
}
my %env = map { $_ => $ENV{$_} } grep { /^WSREP_/ } keys %ENV;
my ($role) = join(' ', @ARGV) =~ /--role (\w+)/;
my $file = sprintf('%s/record/%s-%d.json', $dir, $role // 'unknown', $$);
open(my $out, '>', $file) or die "record-sst: $file: $!";
print $out JSON::PP->new->canonical->encode({ argv => \@ARGV, env => \%env, stdin => $piped ? $stdin : undef });
close($out);
if ($piped) {
  my $copy = "$dir/record/stdin-$$";
  open(my $c, '>', $copy) or die "record-sst: $copy: $!";
  print $c $stdin;
  close($c);
  open(STDIN, '<', $copy) or die "record-sst: $copy: $!";
  unlink($copy);
}
exec { $real } $real, @ARGV or die "record-sst: exec $real: $!";
