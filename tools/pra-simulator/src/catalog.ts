/**
 * Fixed material the generator draws from: people, endpoints, addresses,
 * files, commands. Public addresses come from MaxMind's test databases
 * (testdata/geoip) so that GeoIP enrichment of simulated events has known
 * answers; `GEO_ADDRESSES` says what each one resolves to, and a test checks it.
 */

export interface GeoAddress {
  ip: string;
  /** English city name in GeoLite2-City-Test, if it has one. */
  city?: string;
  /** Country ISO code in GeoLite2-City-Test, if it has one. */
  country?: string;
  /** Autonomous system number in GeoLite2-ASN-Test, if it has one. */
  asn?: number;
}

export const GEO_ADDRESSES: readonly GeoAddress[] = [
  { ip: '81.2.69.142', city: 'London', country: 'GB' },
  { ip: '81.2.69.192', city: 'London', country: 'GB' },
  { ip: '81.2.69.160', city: 'London', country: 'GB' },
  { ip: '216.160.83.56', city: 'Milton', country: 'US', asn: 209 },
  { ip: '216.160.83.60', city: 'Milton', country: 'US', asn: 209 },
  { ip: '175.16.199.0', city: 'Changchun', country: 'CN' },
  { ip: '175.16.199.5', city: 'Changchun', country: 'CN' },
  { ip: '89.160.20.112', city: 'Linköping', country: 'SE', asn: 29518 },
  { ip: '89.160.20.128', city: 'Linköping', country: 'SE', asn: 29518 },
  { ip: '2.125.160.216', city: 'Boxford', country: 'GB' },
  { ip: '67.43.156.1', country: 'BT', asn: 35908 },
  { ip: '1.128.0.1', asn: 1221 },
  { ip: '12.81.92.1', asn: 7018 },
  { ip: '2001:480::1', city: 'San Diego', country: 'US' },
  { ip: '2001:480::22', city: 'San Diego', country: 'US' },
  { ip: '2a02:cf40::1', country: 'NO' },
  // No entry in either database: enrichment must add nothing.
  { ip: '198.51.100.23' },
];

export const PRIVATE_IPS = ['10.0.4.17', '10.0.4.88', '10.12.0.5', '192.168.1.23', '192.168.10.54', '172.16.3.9', 'Unknown'];

export const FIRST_NAMES = ['Alice', 'Bruno', 'Chloé', 'Dmitri', 'Elif', 'Farid', 'Greta', 'Hiro', 'Inès', 'Jonas', 'Kavya', 'Lars', 'Mei', 'Nuno', 'Olga', 'Priya'];
export const LAST_NAMES = ['Martin', 'Schmidt', 'Nakamura', 'Okafor', 'Lindqvist', 'García', 'Dubois', 'Kowalski', 'Haddad', 'Rossi', 'Novak', 'Singh'];

export const REP_OSES = ['Windows 11 Enterprise x64 Edition (Build 22631)', 'Windows 10 Pro x64 Edition (Build 19045)', 'macOS 14.5', 'Ubuntu 22.04.4 LTS', 'Unknown'];
export const ENDPOINT_OSES = ['Windows Server 2022 Standard x64 Edition (Build 20348)', 'Windows Server 2019 Datacenter x64 Edition (Build 17763)', 'Red Hat Enterprise Linux 9.3', 'Ubuntu 20.04.6 LTS', 'Debian GNU/Linux 12', 'Unknown'];

export const ENDPOINT_ROLES = ['db', 'web', 'app', 'dc', 'file', 'build', 'mail', 'erp', 'scada', 'backup'];

/** Customers: organisations whose endpoints are accessed. */
export const CUSTOMERS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];

export const SHARED_JUMP_GROUPS = ['Datacenter Servers', 'Network Devices', 'Vendor Access', 'Finance Systems', 'OT Plant Floor'];
export const JUMPOINTS = ['Main Jumpoint', 'DMZ Jumpoint', 'Plant Jumpoint', 'Cloud Jumpoint'];

export const WINDOWS: readonly (readonly [string, string])[] = [
  ['explorer.exe', 'File Explorer'],
  ['mmc.exe', 'Services'],
  ['cmd.exe', 'Administrator: Command Prompt'],
  ['powershell.exe', 'Administrator: Windows PowerShell'],
  ['regedit.exe', 'Registry Editor'],
  ['notepad.exe', 'hosts - Notepad'],
  ['taskmgr.exe', 'Task Manager'],
  ['sqlservr.exe', 'SQL Server Management Studio'],
];

export const CLICK_TARGETS: readonly (readonly [string, string])[] = [
  ['OK', 'button'],
  ['Apply', 'button'],
  ['Restart', 'menu item'],
  ['Properties', 'menu item'],
  ['Address', 'edit'],
  ['Cancel', 'button'],
];

export const SHELL_COMMANDS = [
  'whoami',
  'hostname',
  'ipconfig /all',
  'systemctl status nginx',
  'tail -n 100 /var/log/syslog',
  'Get-Service | Where-Object Status -eq Running',
  'sudo apt-get update',
  'net user administrator',
  'df -h',
  'cat /etc/passwd',
];

export const FILE_NAMES = ['patch-2024-06.msu', 'nginx.conf', 'report.xlsx', 'backup.tar.gz', 'install.log', 'hosts', 'web.config', 'db-dump.sql', 'kb5034441.cab', 'readme.txt'];
export const DIRECTORIES = ['C:\\Temp', 'C:\\Windows\\Temp', '/tmp', '/var/tmp', 'D:\\Deploy', '/home/admin'];

export const CHAT_LINES = [
  'Hello, I am connecting to apply the patch.',
  'The service restart is done.',
  'Can you confirm the maintenance window?',
  'Bonjour, je me connecte pour la mise à jour.',
  'Disk usage is back under 70%.',
  'Logging off now, thanks.',
  'Ticket INC-4821 resolved: <config> & "quotes" checked.',
  'Überprüfung läuft, bitte warten…',
];

export const SPECIAL_ACTIONS = ['Elevate', 'Restart Endpoint', 'Run as Administrator', 'Open Task Manager', 'Lock Workstation'];
export const CREDENTIALS = ['svc-backup (Vault)', 'Administrator (Vault)', 'root (Vault)', 'sa (Vault)'];
export const SERVICES = ['Spooler', 'W3SVC', 'MSSQLSERVER', 'WinRM'];
export const REGISTRY_KEYS = ['HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\App', 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Spooler', 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run'];
