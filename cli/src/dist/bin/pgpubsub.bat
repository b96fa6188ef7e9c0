@echo off
rem Runs the pgpubsub command with the jars in this distribution's lib\ folder.
rem   JAVA_HOME           the Java 17+ to use (else 'java' from the PATH)
rem   JAVA_OPTS           options for the JVM, e.g. -Xmx512m
rem   PGPUBSUB_CLASSPATH  your application's classes (or give --classpath), see 'pgpubsub listen --help'
setlocal
set "PGPUBSUB_HOME=%~dp0.."
if defined JAVA_HOME (set "JAVA=%JAVA_HOME%\bin\java.exe") else (set "JAVA=java")
"%JAVA%" %JAVA_OPTS% -cp "%PGPUBSUB_HOME%\lib\*" io.pgpubsub.cli.PgPubSubCli %*
exit /b %ERRORLEVEL%
