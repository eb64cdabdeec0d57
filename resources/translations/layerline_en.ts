<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AddPrinterPage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="211"/>
        <source>Add a printer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="212"/>
        <source>How is your printer connected?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="215"/>
        <source>&amp;USB cable (serial port)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="216"/>
        <source>&amp;OctoPrint server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="217"/>
        <source>No printer at hand: start the &amp;demo printer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="218"/>
        <source>&amp;Not now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="232"/>
        <source>A simulated Marlin printer runs inside Layerline: it heats, prints and reports like a real one. Nothing is sent to any hardware.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="236"/>
        <source>You can add printers later in the Printers area.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="250"/>
        <source>My printer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="251"/>
        <location filename="../../ui/setup_wizard.py" line="281"/>
        <source>Printer name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="254"/>
        <source>Serial port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="256"/>
        <source>The ports found on this computer; you may also type a device path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="257"/>
        <source>Searching for ports…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="258"/>
        <source>&amp;Rescan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="259"/>
        <source>Look for serial ports again (plug the printer in first)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="265"/>
        <source>Baud rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="269"/>
        <source>Marlin printers use 115200 or 250000</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="272"/>
        <location filename="../../ui/setup_wizard.py" line="294"/>
        <source>&amp;Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="332"/>
        <source>No USB printer found: plug it in and rescan, or type a path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="270"/>
        <source>&amp;Port:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="274"/>
        <source>&amp;Speed:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="280"/>
        <source>OctoPrint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="284"/>
        <source>OctoPrint address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="286"/>
        <source>OctoPrint user name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="289"/>
        <source>OctoPrint password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="291"/>
        <source>Layerline logs in once to get its own API key, kept in your system&apos;s keyring. Your password is not stored.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="295"/>
        <source>&amp;Address:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="296"/>
        <source>&amp;User:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="297"/>
        <source>Pass&amp;word:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FoldersPage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="372"/>
        <source>Add your model folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="374"/>
        <source>Layerline imports the STL, 3MF, OBJ and G-code files in them, in the background.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="376"/>
        <source>Library folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="378"/>
        <source>&amp;Add Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="379"/>
        <source>Choose a folder of models to import</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="381"/>
        <source>&amp;Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="382"/>
        <source>Forget the selected folder (its files stay)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="393"/>
        <source>Add a folder of models</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LibraryPage</name>
    <message>
        <location filename="../../ui/library/page.py" line="130"/>
        <source>Search the library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="131"/>
        <source>Words or word beginnings; every word must match (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="132"/>
        <source>File format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="132"/>
        <source>Show only models with this format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="133"/>
        <source>Licence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="133"/>
        <source>Show only models under this licence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="134"/>
        <source>Printed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="134"/>
        <source>Filter by whether, and how well, a model printed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="136"/>
        <source>Sort by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="136"/>
        <source>The order of the models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="137"/>
        <source>Descending order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/library/page.py" line="138"/>
        <source>Table view</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="77"/>
        <source>Layerline</source>
        <extracomment>Emitted by the composition root once the Library area (built when the database is open) is in place.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="87"/>
        <source>Areas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="89"/>
        <source>Choose an area with the arrow keys; Ctrl+1 to Ctrl+4 from anywhere</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="111"/>
        <source>Status message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="160"/>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="161"/>
        <source>&amp;Open…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="163"/>
        <source>Open model or G-code files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="166"/>
        <source>&amp;Import…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="168"/>
        <source>Import files into the library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="172"/>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="178"/>
        <source>&amp;Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="179"/>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="180"/>
        <source>Change Layerline&apos;s settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="186"/>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="196"/>
        <source>&amp;Log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="197"/>
        <source>Show Layerline&apos;s log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="201"/>
        <source>&amp;Full Screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="209"/>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="210"/>
        <source>Set-up &amp;Guide…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="212"/>
        <source>Add a printer, library folders and your marketplace account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="216"/>
        <source>&amp;User Guide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="218"/>
        <source>Open the user guide in your web browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="223"/>
        <source>&amp;About Layerline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="228"/>
        <source>About &amp;Qt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="276"/>
        <source>Open files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="277"/>
        <source>Models and G-code (*.stl *.3mf *.obj *.gcode *.gco *.g *.bgcode *.zip)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="278"/>
        <source>All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PrinterPage</name>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="144"/>
        <source>Connect to the printer, or disconnect it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="146"/>
        <source>Choose a G-code file and print it here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="147"/>
        <source>Pause the print (the head parks)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="148"/>
        <source>Resume the paused print</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="149"/>
        <source>Cancel the print; the job is recorded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="150"/>
        <source>Home all axes (G28)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="151"/>
        <source>Heat the hotend to the target (M104)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="152"/>
        <source>Heat the bed to the target (M140)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="153"/>
        <source>Turn the hotend and the bed off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="160"/>
        <source>Type a G-code command and press Enter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="161"/>
        <source>Print progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/printer_page.py" line="162"/>
        <source>Temperatures</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PrintersArea</name>
    <message>
        <location filename="../../ui/printers/area.py" line="79"/>
        <source>Add a USB serial printer (Help ▸ Set-up Guide also adds OctoPrint printers and the demo printer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/printers/area.py" line="88"/>
        <source>No printers yet — add one with “Add printer…”, or open Help ▸ Set-up Guide to add an OctoPrint server or start the demo printer.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SetupWizard</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="489"/>
        <source>Set Up Layerline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="490"/>
        <source>Set-up guide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="493"/>
        <source>&amp;Skip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="495"/>
        <source>Close the guide; open it again from Help ▸ Set-up Guide</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SignInPage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="422"/>
        <source>Sign in to the marketplace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="424"/>
        <source>Optional: share reviews and print profiles, and earn points. Leave it empty to skip.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="427"/>
        <source>Marketplace address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="429"/>
        <source>Marketplace user name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="432"/>
        <source>Marketplace password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="434"/>
        <source>&amp;Address:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="435"/>
        <source>&amp;User:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="436"/>
        <source>Pass&amp;word:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SummaryPage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="458"/>
        <source>All set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="469"/>
        <source>Printer: %s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="469"/>
        <source>No printer added.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="470"/>
        <source>Library folders: %d (importing in the background)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="471"/>
        <source>No library folders.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="472"/>
        <source>Marketplace: signed in as %s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="473"/>
        <source>Marketplace: not signed in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="475"/>
        <source>Open this guide again any time from Help ▸ Set-up Guide.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="188"/>
        <source>Welcome to Layerline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="189"/>
        <source>Three short steps, each of them optional.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="191"/>
        <source>Layerline keeps your model files, drives your printers and shares what printed well.&lt;br&gt;&lt;br&gt;This guide helps you to:&lt;ul&gt;&lt;li&gt;add a printer (USB, OctoPrint, or the demo printer),&lt;/li&gt;&lt;li&gt;add the folders where your models are,&lt;/li&gt;&lt;li&gt;sign in to the model marketplace.&lt;/li&gt;&lt;/ul&gt;You can skip it now and open it again from &lt;b&gt;Help ▸ Set-up Guide&lt;/b&gt;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>_BusyPage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="126"/>
        <source>Working</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
