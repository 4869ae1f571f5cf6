# Registers the cockpit wall as a scheduled task that starts at the kiosk user's log-on and is
# restarted if it ever ends with an error (see docs/supervision.md). Run in PowerShell as the
# kiosk user (or as an administrator, with -User). --supervise restarts a crashed or hung wall
# within seconds; the task's own restart covers the supervisor itself.
param(
    [string]$Cockpit = "C:\cockpit\.venv\Scripts\cockpit.exe",
    [string]$Config = "C:\cockpit\site.toml",
    [string]$User = "$env:USERDOMAIN\$env:USERNAME"
)
$action = New-ScheduledTaskAction -Execute $Cockpit -Argument "run --config `"$Config`" --supervise"
$trigger = New-ScheduledTaskTrigger -AtLogOn -User $User
$settings = New-ScheduledTaskSettingsSet -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) `
    -ExecutionTimeLimit ([TimeSpan]::Zero) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
    -MultipleInstances IgnoreNew
$principal = New-ScheduledTaskPrincipal -UserId $User -LogonType Interactive -RunLevel Limited
Register-ScheduledTask -TaskName "Cockpit wall" -Action $action -Trigger $trigger `
    -Settings $settings -Principal $principal -Force
